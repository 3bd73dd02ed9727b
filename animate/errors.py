"""The one exception type for mistakes a user can fix."""


class UserError(ValueError):
    """A bad input: the message names the problem and how to fix it.

    It subclasses ``ValueError`` so code written for scikit-learn, which raises
    ``ValueError`` for bad parameters, catches it too. The command line prints
    the message as a single line and exits with status 2.
    """
