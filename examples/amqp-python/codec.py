"""A small AMQP 1.0 encoder (part 1 types, part 2 transfer performative,
part 3 message sections) in pure Python. Encoder appends every value to one
bytearray; how binary values are assembled is left to the subclasses in
codec_naive.py and codec_tuned.py."""
import struct

# Format codes (AMQP 1.0 part 1, section 1.6)
NULL = b"\x40"
TRUE, FALSE = b"\x41", b"\x42"
UINT0, SMALLUINT, UINT = b"\x43", b"\x52", b"\x70"
ULONG0, SMALLULONG, ULONG = b"\x44", b"\x53", b"\x80"
VBIN8, VBIN32 = b"\xa0", b"\xb0"
STR8, STR32 = b"\xa1", b"\xb1"
SYM8, SYM32 = b"\xa3", b"\xb3"
LIST0, LIST8, LIST32 = b"\x45", b"\xc0", b"\xd0"
MAP8, MAP32 = b"\xc1", b"\xd1"
DESCRIBED = b"\x00"

# Descriptors: message sections (part 3) and the transfer performative (part 2)
HEADER, PROPERTIES, APP_PROPERTIES, DATA, TRANSFER = 0x70, 0x73, 0x74, 0x75, 0x14


class Symbol(str):
    pass


class Described:
    def __init__(self, descriptor, value):
        self.descriptor = descriptor
        self.value = value


class Encoder:
    def encode_null(self, output, value):
        output += NULL

    def encode_boolean(self, output, value):
        output += TRUE if value else FALSE

    def encode_uint(self, output, value):
        if value == 0:
            output += UINT0
        elif value < 256:
            output += SMALLUINT + struct.pack(">B", value)
        else:
            output += UINT + struct.pack(">I", value)

    def encode_ulong(self, output, value):
        if value == 0:
            output += ULONG0
        elif value < 256:
            output += SMALLULONG + struct.pack(">B", value)
        else:
            output += ULONG + struct.pack(">Q", value)

    def binary_header(self, output, length):
        if length <= 255:
            output += VBIN8 + struct.pack(">B", length)
        else:
            output += VBIN32 + struct.pack(">L", length)

    def encode_binary(self, output, value):
        raise NotImplementedError

    def encode_variable(self, output, data, small, large):
        if len(data) <= 255:
            output += small + struct.pack(">B", len(data))
        else:
            output += large + struct.pack(">L", len(data))
        output += data

    def encode_string(self, output, value):
        self.encode_variable(output, value.encode("utf-8"), STR8, STR32)

    def encode_symbol(self, output, value):
        self.encode_variable(output, value.encode("ascii"), SYM8, SYM32)

    def encode_compound(self, output, items, count, small, large):
        body = bytearray()
        for item in items:
            self.encode_value(body, item)
        if len(body) < 255 and count < 256:
            output += small + struct.pack(">BB", len(body) + 1, count)
        else:
            output += large + struct.pack(">LL", len(body) + 4, count)
        output += body

    def encode_list(self, output, value):
        if not value:
            output += LIST0
        else:
            self.encode_compound(output, value, len(value), LIST8, LIST32)

    def encode_map(self, output, value):
        items = [x for kv in value.items() for x in kv]
        self.encode_compound(output, items, len(items), MAP8, MAP32)

    def encode_described(self, output, value):
        output += DESCRIBED
        self.encode_ulong(output, value.descriptor)
        self.encode_value(output, value.value)

    def encode_value(self, output, value):
        if value is None:
            self.encode_null(output, value)
        elif isinstance(value, bool):
            self.encode_boolean(output, value)
        elif isinstance(value, int):
            if value < 1 << 32:
                self.encode_uint(output, value)
            else:
                self.encode_ulong(output, value)
        elif isinstance(value, (bytes, bytearray, list)) and (
                not isinstance(value, list) or (value and isinstance(value[0], bytes))):
            self.encode_binary(output, value)  # bytes, or a body in fragments
        elif isinstance(value, Symbol):
            self.encode_symbol(output, value)
        elif isinstance(value, str):
            self.encode_string(output, value)
        elif isinstance(value, Described):
            self.encode_described(output, value)
        elif isinstance(value, list):
            self.encode_list(output, value)
        elif isinstance(value, dict):
            self.encode_map(output, value)
        else:
            raise TypeError("cannot encode %r" % type(value))

    def encode_message(self, output, msg):
        self.encode_described(output, Described(HEADER, [True, 4]))
        self.encode_described(output, Described(PROPERTIES, [msg["id"], None, Symbol(msg["to"])]))
        self.encode_described(output, Described(APP_PROPERTIES, msg["headers"]))
        self.encode_described(output, Described(DATA, msg["body"]))

    def encode_batch(self, messages, channel=1):
        """One transfer per message, all into one output buffer."""
        output = bytearray()
        for n, msg in enumerate(messages):
            self.encode_described(output, Described(TRANSFER, [channel, n, b"tag-%d" % n]))
            self.encode_message(output, msg)
        return bytes(output)
