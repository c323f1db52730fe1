"""The task-family plug-ins: one class per family, wiring that family's parts together.

Found by name through `kerasknow.family.registry.get_task_family`; nothing imports this package
directly.
"""
