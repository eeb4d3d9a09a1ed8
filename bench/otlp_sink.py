"""An OTLP/HTTP endpoint that takes every export and keeps nothing: where the
benchmark's traced service sends its spans, so that exporting costs the
service what it would cost against a real Collector (encoding, a POST per
batch), in a process of its own. `python -m bench.otlp_sink PORT`."""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        # An empty ExportTraceServiceResponse: nothing rejected.
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
