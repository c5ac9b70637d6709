# sitecustomize.py: smiley's bootstrap inside the traced interpreter.
#
# The smiley process puts this file's directory first on PYTHONPATH, so the
# interpreter imports it during start-up (site.execsitecustomize). It loads
# the _smiley_tracer extension, starts it (recording begins at the first
# frame of __main__, so start-up is not traced), then removes every trace
# of itself the program could see: this directory on sys.path, the
# SMILEY_TRACER_* variables and the changed PYTHONPATH in os.environ (and
# the C environ, which os.environ updates), both modules in sys.modules.
# Finally it imports the sitecustomize the interpreter would have imported
# (Debian's apport hook), so its behaviour is kept.
#
# Only modules site.py already imported are used here (os, sys), so the
# program finds the same sys.modules as under python3.


def _smiley_bootstrap():
    import os
    import sys

    env = os.environ
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        ring = env.get('SMILEY_TRACER_RING')
        if ring:
            options = dict(item.split('=', 1)
                           for item in env.get('SMILEY_TRACER_OPTIONS', '').split(';')
                           if '=' in item)
            fd, size = ring.split(':')
            stdlib_dir = os.path.dirname(os.__file__)
            version = 'python%d.%d' % sys.version_info[:2]
            stdlib = sorted({
                stdlib_dir + '/',
                os.path.join(sys.base_prefix, 'lib', version) + '/',
                os.path.join(sys.base_exec_prefix, 'lib', version) + '/',
            })
            try:
                import _smiley_tracer
            except ImportError as err:
                sys.stderr.write('smiley: cannot load the tracer into %s: %s\n'
                                 % (sys.executable, err))
            else:
                _smiley_tracer.start(
                    int(fd), int(size), int(env.get('SMILEY_TRACER_T0', '0')),
                    stdlib=stdlib,
                    packages=env.get('SMILEY_TRACER_PACKAGES', '').split('\n'),
                    exclude=env.get('SMILEY_TRACER_EXCLUDE', '').split('\n'),
                    include_stdlib=options.get('include_stdlib') == '1',
                    include_site=options.get('include_site', '1') == '1',
                    profile_only=options.get('profile_only') == '1',
                    repr_limit=int(options.get('repr_limit', '256')),
                    event_budget=int(options.get('event_budget', '0')),
                    run_budget=int(options.get('run_budget', '0')),
                    parent=int(env.get('SMILEY_TRACER_PARENT', '0')),
                    hide=sys.modules.get('sitecustomize'),
                )
                # atexit handlers run last-registered first: this one, the
                # first, runs after all of the program's.
                # smiley could not leave SIGCHLD ignored for us (it has to
                # wait for this process): ignore it here, as python3 would
                # have inherited it, through the signal module python3
                # already imported, so that signal.getsignal() agrees.
                if env.get('SMILEY_TRACER_SIGCHLD') == 'ignore':
                    import _signal
                    _signal.signal(_signal.SIGCHLD, _signal.SIG_IGN)
                had_atexit = 'atexit' in sys.modules
                import atexit
                atexit.register(_smiley_tracer._finish)
                if not had_atexit:
                    del sys.modules['atexit']
    finally:
        if env.get('SMILEY_TRACER_PYTHONPATH_SET') == '1':
            env['PYTHONPATH'] = env.get('SMILEY_TRACER_PYTHONPATH', '')
        else:
            env.pop('PYTHONPATH', None)
        for key in [k for k in env if k.startswith('SMILEY_TRACER_')]:
            del env[key]
        sys.path[:] = [p for p in sys.path
                       if not p or os.path.abspath(p) != here]
        sys.path_importer_cache.pop(here, None)
        sys.modules.pop('_smiley_tracer', None)


_smiley_bootstrap()
del _smiley_bootstrap

# Hand over to the sitecustomize this one stands in for, if there is one.
import sys as _sys  # noqa: E402
_smiley_self = _sys.modules.pop('sitecustomize', None)
try:
    import sitecustomize  # noqa: E402,F401
except ImportError as _err:
    if _err.name != 'sitecustomize':
        raise
    # There is none (a Python built without one, e.g. pyenv's): importlib
    # takes this module out of sys.modules once this file has run, and
    # raises KeyError if it is not there. Put it back; the tracer removes
    # it when the program starts (see hide= in start()), so that, as under
    # python3, there is no 'sitecustomize' in sys.modules.
    if _smiley_self is not None:
        _sys.modules['sitecustomize'] = _smiley_self
del _sys, _smiley_self
