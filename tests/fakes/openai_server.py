"""A local fake of an OpenAI-compatible endpoint (Qwen/DeepSeek/vLLM speak the same), for tests and benchmarks.

    with FakeOpenAI() as fake:                       # a real HTTP server on 127.0.0.1, random port, in a thread
        settings = test_settings(tmp, llm_base_url=fake.base_url, llm_model="fake-chat")
        fake.reply_with(content='{"supported": true, "answer": "…", "sources": [1]}')
        fake.reply_with(tool_call=("repair", '{"location": "厨房"}'))
        fake.delay_s = 5                             # slower than any budget
        fake.raw_reply = (200, b"not json at all")   # garbage
        assert fake.chat_requests[-1]["messages"][0]["role"] == "system"

POST /v1/chat/completions answers with the next scripted reply (or a plain "ok" message); POST /v1/embeddings
returns deterministic vectors (hashed character bigrams, L2-normalised) so embedding-endpoint code can be tested
without a model.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

EMBEDDING_DIM = 64


def fake_embedding(text: str) -> list[float]:
    vector = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    for i in range(max(len(text) - 1, 1)):
        digest = hashlib.blake2b(text[i:i + 2].encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "little") % EMBEDDING_DIM] += 1.0
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).tolist()


class FakeOpenAI:
    def __init__(self) -> None:
        self.chat_requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self.replies: deque[dict[str, Any]] = deque()
        self.delay_s = 0.0
        self.raw_reply: tuple[int, bytes] | None = None  # (status, body) sent as is
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def reply_with(self, *, content: str | None = None, tool_call: tuple[str, str] | None = None) -> None:
        """Queue the next chat completion: a message, or one tool call (name, raw JSON arguments string)."""
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_call is not None:
            name, arguments = tool_call
            message["tool_calls"] = [{"id": f"call_{len(self.replies)}", "type": "function",
                                      "function": {"name": name, "arguments": arguments}}]
        self.replies.append(message)

    def _completion(self, request: dict[str, Any]) -> dict[str, Any]:
        message = self.replies.popleft() if self.replies else {"role": "assistant", "content": "ok"}
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": request.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}

    def __enter__(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if self.path.endswith("/chat/completions"):
                    fake.chat_requests.append(request)
                    if fake.delay_s:
                        time.sleep(fake.delay_s)
                    if fake.raw_reply is not None:
                        self._send(*fake.raw_reply)
                        return
                    self._send(200, json.dumps(fake._completion(request), ensure_ascii=False).encode())
                elif self.path.endswith("/embeddings"):
                    fake.embedding_requests.append(request)
                    inputs = request.get("input")
                    inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
                    data = [{"object": "embedding", "index": i, "embedding": fake_embedding(text)}
                            for i, text in enumerate(inputs)]
                    self._send(200, json.dumps({"object": "list", "data": data, "model": request.get("model"),
                                                "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
