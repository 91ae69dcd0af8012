"""The dashboard's state as ``param.Parameterized`` view models, without Panel (so tests need no browser).

Each model holds typed, documented parameters, calls the in-process service through its
:class:`~dashboard.session.Session` (blocking calls in a thread) and knows nothing of widgets; the
views in ``dashboard/tabs``, ``dashboard/page.py`` and ``dashboard/tree/view.py`` bind widgets to
these parameters. One concern per module:

- ``sign_in``: the sign-in form (an API token, or an email and a password).
- ``projects``: the project picker, a new project, and the selected project's datasets.
- ``upload``: a dataset's files, its upload and the reader's report.
- ``job_form``: the launch form; the algorithm's options are an instance of its registry parameter
  class, and the form builds the engine's ``JobRequest``.
- ``jobs``: the project's jobs (records and table rows), refreshed, cancelled, removed, opened.
- ``tree``: the open tree (which dataset, inference and drawing, read off the UI) and its controls
  (colour by, search, cluster cut, labels).
- ``page``: one browser session's models composed, and what signing in and out does to them.

Parameters that are events (``param.Event``) are the actions: set one to True to act.
"""
