"""The task-family plug-in interface (`TaskFamily`) and the registry that finds a family by name.

The plug-ins themselves live in `kerasknow.tasks`, which nothing imports directly: the registry
loads them by name, so every other layer depends only on this interface.
"""
