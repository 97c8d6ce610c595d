"""Symlink and hardlink tricks: the grader reads no path the student can touch."""

from __future__ import annotations


def test_links_in_the_scratch_dir_do_not_reach_outside_and_vanish(attack):
    code = """
    import os
    def links(x):
        made = []
        for target, name in (("/", "root"), ("/tmp", "tmp"), ("..", "up"),
                             ("/sbx/lib/sandbox/harness.py", "harness")):
            os.symlink(target, name)
            made.append(name)
        try:
            os.link("/sbx/lib/sandbox/harness.py", "hard")
            made.append("hard")
        except OSError:
            pass
        try:
            with open("harness", "w") as f:  # write through a symlink to a bound file
                f.write("pwned")
            made.append("wrote")
        except OSError:
            pass
        return made
    """
    report = attack.run(code, attack.call("links", x=attack.x()))
    assert report.observations["links"].value == ["root", "tmp", "up", "harness"]
    after = attack.run(
        "import os\ndef look(x):\n    return sorted(os.listdir('/tmp')), sorted(os.listdir('.'))\n",
        attack.call("look", x=attack.x()),
    )
    tmp_entries, own = after.observations["look"].value
    assert len(tmp_entries) == 1 and own == []  # only its own, fresh scratch dir
    attack.still_grades()
