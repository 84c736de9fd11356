"""The pages, one module per area. Each view fetches, calls at most one
action, and answers; `portal.web.rules.rule` declares who may open it."""
