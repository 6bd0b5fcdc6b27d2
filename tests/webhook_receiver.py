"""A local HTTP receiver for the outgoing webhooks, in a thread of the test process: it keeps
every request (headers and raw body) and answers each with the next status of `answers`
(then 200), or hangs until the test ends when the status is None."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: "Receiver"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((dict(self.headers), body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        if status is None:
            self.server.release.wait(30)
            return
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answers: list[int | None] | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = list(answers or [])
        self.requests: list[tuple[dict, bytes]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/dentalai"

    def start(self) -> "Receiver":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()
