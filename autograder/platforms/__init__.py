"""Grade inside the graders courses already use: Gradescope and PrairieLearn.

``bundle`` writes Gradescope's autograder zip and ``question`` PrairieLearn's question
folder; both carry a :class:`~autograder.platforms.config.PlatformConfig`. Inside either
platform's container, ``autograder platform-grade`` (``entry``) finds the student's file
(``submission``), grades it here in the sandbox mode the config names (``grading``) and
writes the platform's results.json (``gradescope``: service/gradescope.py's converter;
``prairielearn``).
"""
