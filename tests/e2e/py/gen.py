"""A generator and a coroutine: their frames appear as their functions."""
import asyncio
import sys
import time

def work(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def produce(end):
    while time.time() < end:
        yield work(20000)

def consume(end):
    total = 0
    for v in produce(end):
        total += v
    return total

async def coro(end):
    while time.time() < end:
        work(20000)
        await asyncio.sleep(0)

def main():
    secs = float(sys.argv[1] if len(sys.argv) > 1 else 2)
    consume(time.time() + secs / 2)
    asyncio.run(coro(time.time() + secs / 2))

main()
