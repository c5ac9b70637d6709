# test_callgraph_svg.py: the call graph of a real profile is an SVG that
# parses as XML and names the program's hot function, in red.
#
#   python3 test_callgraph_svg.py VIEWS_RENDER

import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
VIEWS_RENDER = sys.argv.pop(1) if len(sys.argv) > 1 else None
SVG = '{http://www.w3.org/2000/svg}'


def profile(tmp, *args):
    data = os.path.join(tmp, 'profile.json')
    subprocess.run([sys.executable, os.path.join(HERE, 'profile_to_json.py'), data,
                    os.path.join(tmp, 'reference.prof'),
                    os.path.join(HERE, 'workloads', 'profile_mix.py')] + list(args),
                   check=True, cwd=tmp)
    return data


class CallgraphSvg(unittest.TestCase):
    def test_svg_names_hot_function(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = profile(tmp, '300000')
            svg = os.path.join(tmp, 'graph.svg')
            subprocess.run([VIEWS_RENDER, data, 'callgraph', svg], check=True)
            root = ET.parse(svg).getroot()
            self.assertEqual(root.tag, SVG + 'svg')
            nodes = [g for g in root.iter(SVG + 'g') if g.get('class') == 'node']
            texts = {}
            for node in nodes:
                lines = [t.text for t in node.iter(SVG + 'text')]
                polygon = node.find('.//' + SVG + 'polygon')
                texts[lines[0]] = (lines, polygon.get('fill'))
            self.assertIn('hot_loop', texts)
            self.assertIn('main', texts)
            lines, fill = texts['hot_loop']
            self.assertEqual(lines[1], 'profile_mix.py:28')
            # "total% (self%)": the hottest function below main(),
            # whatever the machine's load
            share = float(lines[2].split('%')[0])
            self.assertGreater(share, 50.0)
            for name, (other, _) in texts.items():
                if name not in ('hot_loop', 'main', '<module>', '<built-in method builtins.exec>'):
                    self.assertLess(float(other[-2].split('%')[0]), share, name)
            self.assertRegex(lines[2], r'^[0-9.]+% \([0-9.]+%\)$')
            self.assertEqual(lines[3], '1×')
            # nearly all the time: gprof2dot's red end of the scale
            red, green, blue = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
            self.assertGreater(red, blue)
            # the default node threshold (0.5%) leaves the tiny functions out
            self.assertNotIn('fails', texts)
            edges = [g for g in root.iter(SVG + 'g') if g.get('class') == 'edge']
            self.assertGreater(len(edges), 0)

    def test_dot_and_thresholds(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = profile(tmp, '300000')
            dot = os.path.join(tmp, 'graph.dot')
            subprocess.run([VIEWS_RENDER, data, 'callgraph', dot, 'format=dot',
                            'node-threshold=0', 'edge-threshold=0'], check=True)
            with open(dot) as f:
                text = f.read()
            self.assertTrue(text.startswith('digraph callgraph {'))
            # with no threshold every function is drawn
            for name in ('fails', 'is_even', 'is_odd', 'squares', 'hot_loop'):
                self.assertIn('label="%s\\n' % name, text)
            self.assertIn('11×', text)  # is_even's ncalls
            # graphviz's own dot reads it back, when it is installed
            if os.path.exists('/usr/bin/dot'):
                result = subprocess.run(['/usr/bin/dot', '-Tsvg', dot], capture_output=True,
                                        check=True)
                ET.fromstring(result.stdout)

    def test_bad_format(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = profile(tmp, '1000')
            result = subprocess.run([VIEWS_RENDER, data, 'callgraph', os.path.join(tmp, 'g'),
                                     'format=jpeg'], capture_output=True, text=True)
            self.assertEqual(result.returncode, 1)
            self.assertEqual(result.stderr,
                             "views-render: unknown call graph format 'jpeg' (use svg, png or dot)\n")


if __name__ == '__main__':
    unittest.main()
