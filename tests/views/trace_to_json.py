# trace_to_json.py: run a program under sys.settrace and sys.setprofile
# and write the events smiley's tracer records (call, line, return,
# exception, yield, resume, c_call, c_return, c_exception; per thread,
# with call ids, parent call ids and depths) in the JSON the views' tests
# load into a store (see views-test-input.c). It stands in for a recorded
# run so the trace exports are tested on the event stream of a real
# program: threads, generators, exceptions, builtins.
#
#   python3 trace_to_json.py OUT.json PROGRAM.py [ARGS...]

import dis
import json
import os
import sys
import threading
import time

YIELD_VALUE = dis.opmap['YIELD_VALUE']
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # generator, coroutine, async generator


class Recorder:
    def __init__(self, program):
        self.program = os.path.abspath(program)
        self.events = []
        self.start = time.perf_counter_ns()
        self.next_call_id = 1
        self.threads = {}      # Thread -> dense id
        self.names = {}        # dense id -> name
        self.native = {}       # dense id -> native id
        self.stacks = {}       # dense id -> [call ids]
        self.frames = {}       # frame -> call id (generators keep theirs)
        self.c_calls = {}      # dense id -> [c call ids]
        self.lock = threading.Lock()

    def thread(self):
        # keyed by the Thread object: idents are reused once a thread ends
        ident = threading.current_thread()
        tid = self.threads.get(ident)
        if tid is None:
            tid = self.threads[ident] = len(self.threads) + 1
            self.stacks[tid] = []
            self.c_calls[tid] = []
            self.native[tid] = threading.get_native_id()
        self.names[tid] = threading.current_thread().name
        return tid

    def wanted(self, frame):
        return frame.f_code.co_filename == self.program

    def add(self, kind, tid, call_id, frame_or_func, arg=None, locals_=None, line=None):
        stack = self.stacks[tid]
        if hasattr(frame_or_func, 'f_code'):
            code = frame_or_func.f_code
            file, function = code.co_filename, code.co_qualname
            line = frame_or_func.f_lineno if line is None else line
        else:
            file, function = '~', '<built-in %s>' % getattr(frame_or_func, '__qualname__', '?')
            line = 0
        # a Python event's frame is on top of the stack; a C function has
        # no frame, so its parent is the top
        if kind.startswith('c_'):
            parent = stack[-1] if stack else 0
        else:
            parent = stack[-2] if len(stack) > 1 else 0
        self.events.append({
            'kind': kind, 'thread': tid, 'call_id': call_id,
            'parent_call_id': parent,
            'depth': len(stack) if kind.startswith('c_') else max(len(stack) - 1, 0),
            'time_ns': time.perf_counter_ns() - self.start,
            'file': file, 'line': line, 'function': function,
            'arg': arg, 'locals': locals_ or {},
        })

    def trace(self, frame, event, arg):
        if not self.wanted(frame):
            return None
        with self.lock:
            tid = self.thread()
            stack = self.stacks[tid]
            if event == 'call':
                call_id = self.frames.get(frame)
                kind = 'resume' if call_id is not None else 'call'
                if call_id is None:
                    call_id = self.frames[frame] = self.next_call_id
                    self.next_call_id += 1
                stack.append(call_id)
                locals_ = {} if frame.f_code.co_name == '<module>' else \
                    {k: repr(v)[:100] for k, v in frame.f_locals.items()}
                self.add(kind, tid, call_id, frame, locals_=locals_, line=frame.f_code.co_firstlineno)
            elif event == 'line':
                self.add('line', tid, self.frames.get(frame, 0), frame)
            elif event == 'exception':
                self.add('exception', tid, self.frames.get(frame, 0), frame,
                         arg='%s: %s' % (arg[0].__name__, arg[1]))
            elif event == 'return':
                call_id = self.frames.get(frame, 0)
                code = frame.f_code
                yielding = (code.co_flags & GENERATOR_FLAGS
                            and frame.f_lasti >= 0
                            and code.co_code[frame.f_lasti] == YIELD_VALUE)
                self.add('yield' if yielding else 'return', tid, call_id, frame, arg=repr(arg)[:100])
                if stack and stack[-1] == call_id:
                    stack.pop()
                if not yielding:
                    self.frames.pop(frame, None)
        return self.trace

    def profile(self, frame, event, arg):
        if not event.startswith('c_') or not self.wanted(frame):
            return
        with self.lock:
            tid = self.thread()
            calls = self.c_calls[tid]
            if event == 'c_call':
                call_id = self.next_call_id
                self.next_call_id += 1
                calls.append(call_id)
                self.add('c_call', tid, call_id, arg)
            elif calls:
                self.add(event, tid, calls.pop(), arg)

    def document(self):
        pid = os.getpid()
        return {
            'run': {
                'id': 'c0ffee000000000000000000000000000002',
                'description': os.path.basename(self.program),
                'pid': pid,
                'threads': [{'id': tid, 'pid': pid, 'native_id': self.native[tid],
                             'name': self.names[tid]} for tid in sorted(self.names)],
            },
            'events': self.events,
        }


def main():
    out, program = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    recorder = Recorder(program)
    with open(program) as f:
        code = compile(f.read(), recorder.program, 'exec')
    globals_ = {'__name__': '__main__', '__file__': recorder.program}
    threading.settrace(recorder.trace)
    threading.setprofile(recorder.profile)
    sys.setprofile(recorder.profile)
    sys.settrace(recorder.trace)
    try:
        exec(code, globals_)
    except SystemExit:
        pass
    finally:
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
    with open(out, 'w') as f:
        json.dump(recorder.document(), f)


if __name__ == '__main__':
    main()
