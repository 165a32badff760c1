"""Accessibility checks shared by the browser tests: axe-core (bundled with axe-playwright-python) and a walk
through the page with the Tab key."""

BLOCKING = ("serious", "critical")


def axe_problems(page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line each (rule, impact, where)."""
    from axe_playwright_python.sync_playwright import Axe  # imported late: the module skips without it

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    problems = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            problems.append(f"{violation['id']} ({violation['impact']}) at {target}: {node.get('failureSummary', '')}")
    return problems


# Marks every visible, enabled control a person operates (fields and buttons) with data-kb; returns how many
# Tab stops they make.
_MARK = """() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && !el.closest('[hidden], [inert]');
  };
  const controls = Array.from(document.querySelectorAll(
    'main input:not([type=hidden]), main select, main textarea, main button, main summary, header button'
  )).filter((el) => !el.disabled && visible(el));
  // A group of radio buttons is one stop of the Tab key (arrow keys move inside it).
  controls.forEach((el, i) => el.setAttribute('data-kb', el.type === 'radio' ? 'radio:' + el.name : String(i)));
  return new Set(controls.map((el) => el.getAttribute('data-kb'))).size;
}"""


def unreachable_by_tab(page, *, limit: int = 400) -> list[str]:
    """The controls that pressing Tab from the top of the page never focuses (described for the report)."""
    count = page.evaluate(_MARK)
    if not count:
        return []
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached: set[str] = set()
    for _ in range(min(limit, count * 3 + 30)):
        page.keyboard.press("Tab")
        mark = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-kb')")
        if mark is not None:
            reached.add(mark)
            if len(reached) == count:
                return []
    return page.evaluate(
        """(reached) => Array.from(document.querySelectorAll('[data-kb]'))
          .filter((el) => !reached.includes(el.getAttribute('data-kb')))
          .map((el) => el.outerHTML.slice(0, 160))""",
        sorted(reached),
    )
