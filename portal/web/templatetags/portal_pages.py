"""Links between pages of a list."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, param: str, number: int) -> str:
    """The current query string with page parameter `param` set to `number`,
    so paging one list keeps the range and the other list's page."""
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode()
