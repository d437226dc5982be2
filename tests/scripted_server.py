"""A scripted test server: an OpenAI-compatible /v1/chat/completions on 127.0.0.1 that answers from a
script, and keeps every request it got (path, headers, JSON body) for the test to inspect."""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading


def completion(content: str, prompt_tokens: int = 100, completion_tokens: int = 20) -> dict:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class ScriptedServer:
    """`script(body) -> (status, payload)` or `(status, payload, headers)`; the server runs in a thread until `close()`.

    Requests are served concurrently (one thread each), as a vLLM or hosted endpoint serves them."""

    def __init__(self, script):
        self.script = script
        self.requests: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, payload, *headers = server.script(body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers[0] if headers else {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a deadline test)
                    pass

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def user_text(body: dict) -> str:
    return body["messages"][-1]["content"]


def numbers(line: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", line)


def read_like_a_perfect_model(body: dict) -> dict:
    """The answer a flawless reader gives: each row's last numbers, in the JSON shape the prompt asks for."""
    text = user_text(body).split("Your earlier answer")[0]
    if "Which template row is each line?" in text:  # the page's lines, named in page order: the template's order
        printed = re.findall(r"^L(\d+) ", text, re.M)
        return {f"L{n}": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i] for i, n in enumerate(printed)}
    lines = re.findall(r"^R\d+ (.*)$", text, re.M)
    if "Find these template rows in the text" in text:  # a region's text: its numbers, dealt to the rows in order
        printed = numbers(text.split("Text:\n", 1)[1].split("\n\nFind these", 1)[0])
        answer, at = {}, 0
        for i, line in enumerate(lines, 1):
            width = int(re.search(r": (\d+) numbers$", line).group(1))
            answer[f"R{i}"] = [int(v) for v in printed[at : at + width]]
            at += width
        return answer
    if "Table 二" in text:
        nums = [numbers(line) for line in lines]
        return {
            "R1": [int(v) for v in nums[0][-3:]],
            "R2": [int(v) for v in nums[1][-3:]],
            "R3": int(nums[2][-1]),
            "R4": int(nums[3][-1]),
            "R5": int(nums[4][-1]),
            "R6": nums[5][-1],
        }
    if "Table 四" in text:
        return {"rows": [[int(v) for v in numbers(line)[-5:]] for line in lines]}
    width = int(re.search(r"Every row has (\d+) numbers", text).group(1))  # 7, or a collapsed table 三's 3
    return {"rows": [[int(v) for v in numbers(line)[-width:]] for line in lines]}


def row_lines(body: dict) -> list[str]:
    """The R-lines of a table 三 request (its rows' source text), in order."""
    return re.findall(r"^R\d+ (.*)$", user_text(body).split("Your earlier answer")[0], re.M)


class TricklingServer:
    """An endpoint that answers slowly on purpose: after the request, `head` (the status line alone, or the
    headers too), then one byte every `pace` seconds, until the client gives up or `close()`.

    Every socket read of the client returns within `pace`, so only a limit on the whole request stops it."""

    def __init__(self, head: bytes = b"HTTP/1.1 200 OK\r\n", pace: float = 0.2):
        self.head, self.pace = head, pace
        self.requests = 0
        self._stop = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(1 << 20)  # the request (small enough for one read on loopback)
            self.requests += 1
            try:
                conn.sendall(self.head)
                while not self._stop.wait(self.pace):
                    conn.sendall(b"x")
            except OSError:  # the client hung up: what it should do at its deadline
                pass

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/v1"

    def close(self) -> None:
        self._stop.set()
        self._socket.close()
