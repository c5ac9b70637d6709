"""Paths and helpers shared by the tracer's end-to-end tests."""

import os
import signal

BUILD_ROOT = os.environ.get('SMILEY_BUILD_ROOT', os.path.join(os.path.dirname(__file__), '..', '..', 'build'))
SOURCE_ROOT = os.environ.get('SMILEY_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..', '..'))
SMILEY = os.path.join(BUILD_ROOT, 'smiley')
PYTHON = os.environ.get('SMILEY_PYTHON', '/usr/bin/python3')
TEST_APP = os.path.join(SOURCE_ROOT, 'test_app')
PROGRAMS = os.path.join(SOURCE_ROOT, 'tests', 'tracer', 'programs')
BENCH = os.path.join(SOURCE_ROOT, 'bench')


def shell_status(returncode):
    """The exit status a shell shows: 128 + N for a death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


__all__ = ['BUILD_ROOT', 'SOURCE_ROOT', 'SMILEY', 'PYTHON', 'TEST_APP', 'PROGRAMS', 'BENCH',
           'shell_status', 'signal']
