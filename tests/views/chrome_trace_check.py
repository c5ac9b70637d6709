# chrome_trace_check.py: checks a Chrome Trace Event Format document the
# way a viewer needs it: every event well formed, every B has its E, and
# per thread the intervals nest (a call ends before its caller does).
# Used by the views' tests and the end-to-end tests.

EPSILON_US = 1e-3  # timestamps are floats in microseconds


def check(document):
    """Returns the complete ("X") events; raises AssertionError on a flaw."""
    assert isinstance(document, dict), 'a trace is a JSON object'
    events = document['traceEvents']
    assert isinstance(events, list)
    complete = []
    open_begins = {}
    for event in events:
        assert event.get('ph') in ('X', 'B', 'E', 'M', 'i', 'C'), event
        assert isinstance(event.get('pid'), int), event
        assert isinstance(event.get('tid'), int), event
        if event['ph'] == 'M':
            assert event['name'] in ('process_name', 'thread_name'), event
            assert isinstance(event['args']['name'], str), event
            continue
        assert isinstance(event.get('ts'), (int, float)), event
        if event['ph'] == 'X':
            assert isinstance(event.get('name'), str) and event['name'], event
            assert isinstance(event.get('dur'), (int, float)) and event['dur'] >= 0, event
            complete.append(event)
        elif event['ph'] == 'B':
            open_begins.setdefault((event['pid'], event['tid']), []).append(event)
        elif event['ph'] == 'E':
            stack = open_begins.get((event['pid'], event['tid']))
            assert stack, 'E without B: %r' % event
            begin = stack.pop()
            assert event['ts'] >= begin['ts'], event
    assert not any(open_begins.values()), 'B without E'

    by_thread = {}
    for event in complete:
        by_thread.setdefault((event['pid'], event['tid']), []).append(event)
    for thread, intervals in by_thread.items():
        # outer intervals first when two start together
        intervals.sort(key=lambda e: (e['ts'], -e['dur']))
        stack = []
        for event in intervals:
            start, end = event['ts'], event['ts'] + event['dur']
            while stack and stack[-1] <= start + EPSILON_US:
                stack.pop()
            if stack:
                assert end <= stack[-1] + EPSILON_US, \
                    'interval %r overlaps its enclosing one on thread %r' % (event, thread)
            stack.append(end)
    return complete
