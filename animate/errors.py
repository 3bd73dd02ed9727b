"""The one exception type for mistakes a user can fix."""


class UserError(ValueError):
    """A bad input: the message names the problem and how to fix it.

    It subclasses ``ValueError`` so code written for scikit-learn, which raises
    ``ValueError`` for bad parameters, catches it too. The command line prints
    the message as a single line and exits with status 2.
    """


def one_line(message, category, filename, lineno, line=None):
    """A warning as the command line shows it: ``clustergif: warning: ...``, one line,
    without Python's file name and source line, which say nothing to a user."""
    return f"clustergif: warning: {message}\n"
