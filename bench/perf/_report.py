"""Tables of figures: `work | Allot | floor | peer | ratio`, never a pass or a fail."""

from __future__ import annotations

from dataclasses import dataclass, field

HEADER = ("work", "Allot", "floor", "peer", "ratio")


@dataclass
class Table:
    """One goal's figures. `goal` is the issue's target, printed as a reminder, not checked."""

    title: str
    goal: str
    how: str
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, work: str, allot: str, floor: str = "—", peer: str = "—", ratio: str = ""
    ) -> None:
        self.rows.append((work, allot, floor, peer, ratio))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        cells = [HEADER, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
        lines = [f"## {self.title}", f"goal: {self.goal}", f"how:  {self.how}", ""]
        for n, row in enumerate(cells):
            lines.append(
                "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
            )
            if n == 0:
                lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        lines += [f"  * {text}" for text in self.notes]
        return "\n".join(lines) + "\n"

    def print(self) -> None:
        print("\n" + self.render(), flush=True)
