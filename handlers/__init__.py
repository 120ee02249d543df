"""Command families, actions, forms and workflow steps, one module each; each module has
``register(registry)``. ``handlers.catalog.build_registry()`` puts them all together."""
