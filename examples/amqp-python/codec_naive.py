"""The naive binary encoder: a message body that arrives in fragments is
assembled with bytes += in a loop, as pyamqp's encode_binary once did.
bytes are immutable, so every += copies everything gathered so far: a body
of n fragments costs n*n/2 fragment copies (memmove under bytes_concat)."""
from codec import Encoder


class NaiveEncoder(Encoder):
    def encode_binary(self, output, value):
        data = b""
        for piece in value if isinstance(value, list) else (value,):
            data += piece
        self.binary_header(output, len(data))
        output += data
