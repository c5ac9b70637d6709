import os
import sys

try:
    import helper_module
    helper = helper_module.VALUE
except ImportError:
    helper = 'missing'

print('argv', sys.argv)
print('path0', sys.path[0])
print('file', __file__)
print('name', __name__)
print('helper', helper)
print('pythonpath', os.environ.get('PYTHONPATH'))
print('smiley vars', sorted(k for k in os.environ if 'SMILEY' in k))
print('sitecustomize', sys.modules.get('sitecustomize'))
print('tracer module', [m for m in sys.modules if 'smiley' in m])
print('path has bootstrap', [p for p in sys.path if 'bootstrap' in p])
print('trace', sys.gettrace(), 'profile', sys.getprofile())
print('modules', sorted(m for m in sys.modules if m in ('atexit', 'threading', 'traceback')))
print('stdin', sys.stdin.read())
