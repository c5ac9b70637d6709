# test_trace_export.py: the Chrome trace of a real event stream (threads,
# generators, exceptions, builtins) is valid Trace Event JSON whose
# intervals nest per thread; the JSON lines export has one event a line.
#
#   python3 test_trace_export.py VIEWS_RENDER

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
VIEWS_RENDER = sys.argv.pop(1) if len(sys.argv) > 1 else None
SOURCE_ROOT = os.environ.get('SMILEY_SOURCE_ROOT', os.path.dirname(os.path.dirname(HERE)))

sys.path.insert(0, HERE)
import chrome_trace_check  # noqa: E402

WORKLOADS = [
    os.path.join(HERE, 'workloads', 'threads_mix.py'),
    os.path.join(SOURCE_ROOT, 'test_app', 'test.py'),
]


def trace(tmp, workload, view, *args):
    data = os.path.join(tmp, 'events.json')
    subprocess.run([sys.executable, os.path.join(HERE, 'trace_to_json.py'), data, workload]
                   + list(args), check=True, cwd=tmp, stdout=subprocess.DEVNULL)
    output = os.path.join(tmp, 'out.' + view)
    subprocess.run([VIEWS_RENDER, data, view, output], check=True)
    with open(data) as f:
        document = json.load(f)
    return document, output


class TraceExport(unittest.TestCase):
    def test_chrome_valid_and_nested(self):
        for workload in WORKLOADS:
            with self.subTest(workload=os.path.basename(workload)), \
                    tempfile.TemporaryDirectory() as tmp:
                document, output = trace(tmp, workload, 'chrome')
                with open(output) as f:
                    exported = json.load(f)
                complete = chrome_trace_check.check(exported)
                events = document['events']
                # one complete event per start of a frame (calls, resumes,
                # C calls): every one of them ended in these programs
                starts = [e for e in events if e['kind'] in ('call', 'resume', 'c_call')]
                self.assertEqual(len(complete), len(starts))
                names = {(e['name'], e['tid']) for e in complete}
                threads = {t['id']: t for t in document['run']['threads']}
                for e in starts:
                    self.assertIn((e['function'], threads[e['thread']]['native_id']), names)
                self.assertFalse([e for e in complete if e['args'].get('unfinished')])

    def test_chrome_threads_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            document, output = trace(tmp, WORKLOADS[0], 'chrome')
            with open(output) as f:
                exported = json.load(f)
            names = {e['tid']: e['args']['name'] for e in exported['traceEvents']
                     if e['ph'] == 'M' and e['name'] == 'thread_name'}
            self.assertEqual(sorted(names.values()),
                             ['MainThread', 'worker-0', 'worker-1', 'worker-2'])
            workers = [e for e in exported['traceEvents']
                       if e['ph'] == 'X' and e['name'] == 'worker']
            # three threads, and main() calls worker() once itself
            self.assertEqual(len(workers), 4)
            self.assertEqual(len({e['tid'] for e in workers}), 4)
            yields = [e for e in exported['traceEvents']
                      if e['ph'] == 'X' and e['name'] == 'countdown' and 'yield' in e['args']]
            self.assertEqual(len(yields), 12)

    def test_jsonl(self):
        with tempfile.TemporaryDirectory() as tmp:
            document, output = trace(tmp, WORKLOADS[1], 'jsonl')
            with open(output) as f:
                lines = f.read().splitlines()
            self.assertEqual(len(lines), len(document['events']))
            for line, expected in zip(lines, document['events']):
                event = json.loads(line)
                self.assertEqual(set(event), {'kind', 'thread', 'call_id', 'parent_call_id',
                                              'depth', 'time_ns', 'file', 'line', 'function',
                                              'arg', 'locals'})
                self.assertEqual(event, expected)


if __name__ == '__main__':
    unittest.main()
