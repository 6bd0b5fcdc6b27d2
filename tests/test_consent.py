"""Reading consent out of a patient's words (patients.consent): the carrier keywords in any case
and punctuation, free-text requests to stop in English and Spanish, what only looks like one, and
START."""

import pytest

from patients.consent import is_opt_in, is_opt_out, opt_out_reason


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop.",
        "Stop!!",
        "S T O P",
        "STOPALL",
        "unsubscribe",
        "unsubscibe",
        "END",
        "QUIT",
        "CANCEL",
        "REVOKE",
        "OPTOUT",
        "opt out",
        "STOP thank you",
        "please stop",
        "stop stop stop",
        "Stop 🙏",
    ],
)
def test_the_carrier_keywords_opt_out_in_any_case_and_punctuation(text):
    assert opt_out_reason(text) in ("carrier keyword", "a misspelt keyword")


@pytest.mark.parametrize(
    "text",
    [
        "please don't text me anymore",
        "Don't message me again",
        "No more messages please",
        "take me off your list",
        "Remove me from your mailing list.",
        "I no longer wish to be contacted by your office.",
        "Stop emailing me.",
        "STOP. I found a new dentist.",
        "Not interested, stop",
        "we moved to Reno - stop",
        "dont text me stop",
        "lose my number",
        "i never signed up for these",
        "Kindly refrain from messaging me from now on",
        "leave me alone",
        "how do I stop getting these texts?",
        "sick of the reminders tbh",
        "I'd rather not receive any more emails",
        "we do not wish to get any more texts, thank you",
        "I don't need more reminders",
        "I no longer need these reminders, stop",
        "don't want the texts anymore. STOP",
        "I don't really like the texts, stop sending them",
    ],
)
def test_free_text_requests_to_stop_opt_out(text):
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "BAJA",
        "Alto",
        "no me manden más mensajes",
        "NO ME MANDEN MAS",
        "ya no quiero recibir sus textos",
        "dejen de enviarme correos por favor",
        "Bórrenme de su lista",
        "quiero darme de baja",
        "no más mensajes, gracias",
    ],
)
def test_a_spanish_stop_is_still_a_stop(text):
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "Don't stop reminding me, I forget everything",
        "no need to stop the texts, I just got busy",
        "dont u ever stop sending them, I'd forget",
        "please don't ever unsubscribe me",
        "please keep texting me the reminders",
        "The pain won't stop",
        "the bleeding wont stop since yesterday",
        "Can I stop by tomorrow?",
        "I need to cancel my appointment on Friday",
        "please take me off the wait list for friday",
        "yes",
        "No thanks, I'll call you when I'm ready.",
        "how do I stop my teeth from hurting?",
        "I stopped flossing, oops",
        "subscribe",
        "STOP? heck no, I like the reminders, book me for March",
        "opt out?? nope, keep them coming",
    ],
)
def test_what_only_looks_like_an_opt_out_is_not_one(text):
    assert not is_opt_out(text)


@pytest.mark.parametrize("text", ["START", "start", "Unstop", "START!", "subscribe"])
def test_start_and_its_siblings_opt_back_in(text):
    assert is_opt_in(text)


def test_a_start_inside_a_sentence_is_not_an_opt_in():
    assert not is_opt_in("start my cleaning next week")


@pytest.mark.parametrize("text", ["I want off your list", "get us off the mailing list asap"])
def test_asking_off_the_list_is_an_opt_out_but_not_off_a_waitlist(text):
    assert is_opt_out(text)
    assert not is_opt_out("I want off the wait list for Friday, I found a time")


@pytest.mark.parametrize(
    "text",
    [
        "Favor de no volver a contactarme.",
        "pare de me mandar mensagens, obrigado",
        "Arrêtez de m'envoyer des textos",
        "Xin đừng nhắn tin cho tôi nữa",
        "请不要再给我发短信了",
        "문자 그만 보내주세요",
        "STOP STOP how many times",
        "enough texts, take me off",
        "Please remove both of us from your mailing and texting lists.",
    ],
)
def test_a_stop_in_other_words_and_languages_is_still_a_stop(text):
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "it quit bothering me so I'll skip the filling",
        "We unsubscribed from my old plan at work, now we have MetLife",
    ],
)
def test_the_words_of_a_stop_about_something_else_are_not_one(text):
    assert not is_opt_out(text)
