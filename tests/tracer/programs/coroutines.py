import asyncio


# A coroutine suspends at every await: a trace shows yields and resumes.
async def tick(name, count):
    total = 0
    for i in range(count):
        total += i
        await asyncio.sleep(0)
    return '%s done %d' % (name, total)


async def main():
    results = await asyncio.gather(tick('a', 2), tick('b', 3))
    print(results)


asyncio.run(main())
