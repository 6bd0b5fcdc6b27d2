"""A local OpenAI-compatible HTTP server, for driving the real openai SDK offline: it answers
chat completions with a decision, or fails the way a provider does (a hang, a 500, malformed
JSON, a refusal). Started in a thread of the test process; a child process reaches it through
OPENAI_BASE_URL."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def decision(**fields) -> dict:
    base = {
        "action": "SEND_BOOKING_LINK",
        "intent": "booking_request",
        "sentiment": "positive",
        "confidence": 0.9,
        "handoff_reason": None,
        "kb_article": None,
        "answer": None,
        "summary": "Wants to book.",
    }
    return {**base, **fields}


class FakeOpenAI(BaseHTTPRequestHandler):
    server: "FakeServer"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        mode = self.server.mode
        if mode == "timeout":
            self.server.release.wait(5)
            return self.reply(200, completion(json.dumps(decision())))
        if mode == "hang":  # until the test ends: the client's timeout is what stops it
            self.server.release.wait(600)
            return None
        if mode == "500":
            return self.reply(500, {"error": {"message": "boom", "type": "server_error"}})
        if mode == "malformed":
            return self.reply(200, completion('{"action": "SEND_BOOKING_LINK", "intent": '))
        if mode == "refusal":
            return self.reply(200, completion(None, refusal="I can't help with that."))
        output = (body.get("response_format") or {}).get("type")
        if mode == "no_json_schema" and output == "json_schema":
            return self.reply(
                422, {"error": {"message": "response_format json_schema unsupported"}}
            )
        if mode == "no_response_format" and output:
            return self.reply(422, {"error": {"message": "response_format unsupported"}})
        if mode in ("no_json_schema", "no_response_format"):
            prose = (
                "Sure! Here is my decision:\n```json\n" + json.dumps(self.server.answer) + "\n```"
            )
            return self.reply(
                200, completion(prose if output is None else json.dumps(self.server.answer))
            )
        if mode == "off_menu":
            return self.reply(200, completion(json.dumps(decision(action="DELETE_PATIENT"))))
        return self.reply(200, completion(json.dumps(self.server.answer)))

    def reply(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("retry-after-ms", "1")  # retries without waiting
        self.end_headers()
        self.wfile.write(data)


def completion(content: str | None, refusal: str | None = None) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeOpenAI)
        self.mode = "success"
        self.answer = decision()
        self.requests: list[tuple[str, dict]] = []
        self.release = threading.Event()

    def chat_requests(self) -> list[dict]:
        return [body for path, body in self.requests if path.endswith("/chat/completions")]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"

    def start(self) -> "FakeServer":
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()
