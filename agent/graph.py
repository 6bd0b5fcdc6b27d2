"""The agent: one LangGraph graph following the seed's diagram.

load_state ─route─┬─ proactive: check_follow_up ─┬─ max attempts → mark_unresponsive ─┐
                  │                              ├─ outside window / caps → defer_follow_up ─→ END
                  │                              └─ generate_follow_up ─→ send_message ─┤
                  └─ reactive: record_incoming ─┬─ opted out / handed off → record_only → END
                                                ├─ STOP → decide_opt_out → opt_out ─────┤
                                                ├─ START (opted out) → opt_in ──────────┤
                                                ├─ answers a visit's reminder → read_visit_reply
                                                │    ├─ confirm → confirm_visit ────────┤
                                                │    ├─ move → offer_visit_link ────────┤
                                                │    ├─ cancel → cancel_visit → END (the notice)
                                                │    └─ else (decided) → mark_re_engaged
                                                └─ mark_re_engaged → classify_intent ──┐│
      classify_intent ─┬─ OPT_OUT → opt_out                                            ││
                       ├─ CLOSE_DECLINED → close_declined                              ││
                       ├─ HANDOFF → initiate_handoff                                   ││
                       ├─ ANSWER_QUESTION → query_knowledge_base ─ found → generate_answer
                       │                                          └ not found → initiate_handoff
                       └─ SEND_BOOKING_LINK → send_booking_link
every action → send_message (re-reads campaign and patient first) → record_outcome → END
"""

from functools import cache

from langgraph.graph import END, START, StateGraph

from agent import nodes, proactive
from agent.choices import Action
from agent.state import AgentState


def build_graph():
    """Build and compile the agent graph. Invoke it with
    `{"trigger": "proactive", "campaign_id": …}` or
    `{"trigger": "reactive", "campaign_id": …, "text": …, "external_id": …}`."""
    graph = StateGraph(AgentState)
    for node in (
        nodes.load_state,
        proactive.check_follow_up,
        proactive.mark_unresponsive,
        proactive.defer_follow_up,
        proactive.generate_follow_up,
        nodes.record_incoming,
        nodes.record_only,
        nodes.mark_re_engaged,
        nodes.classify_intent,
        nodes.read_visit_reply,
        nodes.confirm_visit,
        nodes.offer_visit_link,
        nodes.cancel_visit,
        nodes.decide_opt_out,
        nodes.query_knowledge_base,
        nodes.generate_answer,
        nodes.send_booking_link,
        nodes.close_declined,
        nodes.opt_out,
        nodes.opt_in,
        nodes.initiate_handoff,
        nodes.send_message,
        nodes.record_outcome,
    ):
        graph.add_node(node.__name__, node)

    route = nodes.by_route
    graph.add_edge(START, "load_state")
    graph.add_conditional_edges(
        "load_state",
        route,
        {"proactive": "check_follow_up", "reactive": "record_incoming", "end": END},
    )
    # Proactive path
    graph.add_conditional_edges(
        "check_follow_up",
        route,
        {
            "max_attempts": "mark_unresponsive",
            "defer": "defer_follow_up",
            "follow_up": "generate_follow_up",
            "end": END,
        },
    )
    graph.add_conditional_edges(
        "mark_unresponsive", route, {"record": "record_outcome", "end": END}
    )
    graph.add_edge("defer_follow_up", END)
    _to_send(graph, "generate_follow_up")
    # Reactive path
    graph.add_conditional_edges(
        "record_incoming",
        route,
        {
            "end": END,
            "record_only": "record_only",
            "opt_in": "opt_in",
            "opt_out": "decide_opt_out",
            "engage": "mark_re_engaged",
            "visit_reply": "read_visit_reply",
        },
    )
    graph.add_conditional_edges(
        "read_visit_reply",
        route,
        {
            Action.CONFIRM_VISIT: "confirm_visit",
            Action.MOVE_VISIT: "offer_visit_link",
            Action.CANCEL_VISIT: "cancel_visit",
            "engage": "mark_re_engaged",
        },
    )
    graph.add_edge("cancel_visit", END)
    graph.add_edge("record_only", END)
    graph.add_edge("decide_opt_out", "opt_out")
    graph.add_conditional_edges(
        "mark_re_engaged", route, {"decide": "classify_intent", "record_only": "record_only"}
    )
    graph.add_conditional_edges(
        "classify_intent",
        route,
        {
            Action.OPT_OUT: "opt_out",
            Action.CLOSE_DECLINED: "close_declined",
            Action.HANDOFF: "initiate_handoff",
            Action.ANSWER_QUESTION: "query_knowledge_base",
            Action.SEND_BOOKING_LINK: "send_booking_link",
        },
    )
    graph.add_conditional_edges(
        "query_knowledge_base",
        route,
        {"found": "generate_answer", "not_found": "initiate_handoff"},
    )
    for action_node in (
        "confirm_visit",
        "offer_visit_link",
        "generate_answer",
        "send_booking_link",
        "close_declined",
        "opt_out",
        "opt_in",
        "initiate_handoff",
    ):
        _to_send(graph, action_node)
    # Final actions
    graph.add_conditional_edges("send_message", route, {"record": "record_outcome", "end": END})
    graph.add_edge("record_outcome", END)
    return graph.compile()


def _to_send(graph: StateGraph, node: str) -> None:
    graph.add_conditional_edges(node, nodes.by_route, {"send": "send_message", "end": END})


@cache
def agent_graph():
    """The compiled graph, built once per process."""
    return build_graph()
