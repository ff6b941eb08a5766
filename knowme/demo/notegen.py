"""Write the demo life's notes: an Obsidian-like vault under ``notes/``.

Daily notes live in ``Daily/YYYY-MM-DD.md`` without front matter; project, meeting, people and recipe
notes carry YAML front matter (written with ``yaml.safe_dump``: title, aliases, tags, created, status).
Bodies use headings, task lists, ``[[wikilinks]]`` (plain, aliased ``[[Move to Porto|the move]]`` and to a
heading ``[[Latency Budget#Numbers]]``), inline ``#tags`` including nested ones (``#work/ledger``), and one
non-ASCII file name (``Recipes/Bacalhau à Brás.md``). Files end with a newline and use LF line endings.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from knowme.demo.story import Story


def _front(meta: dict[str, object]) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n"


def daily_notes(s: Story) -> dict[str, str]:
    y = s.year
    move = s.move_day
    days = {
        (1, 6): "## Today\n- [x] Inbox zero after the holidays\n- [ ] Prep for [[{y}-01-09 Q1 Planning|Q1 planning]]\n"
        "\nCheckout p99 is still ~1.8 s. That's my topic for Q1. #work",
        (1, 9): "Q1 planning went well. Notes in [[{y}-01-09 Q1 Planning]]. [[José Núñez]] owns the ledger migration, "
        "I own latency. #work/ledger",
        (1, 24): "Sardinhas in Mouraria with [[Miguel Costa]]. Talked about where we want to be in five years. "
        "He's restless at the studio. #personal",
        (2, 4): "Started the [[Latency Budget]] deck. Need real numbers per service first. #work",
        (2, 21): "Offsite day 2. Decided: 800 ms p99 budget for checkout, split per service (see [[Latency "
        "Budget#Numbers]]). Pena park walk in the fog. #work",
        (3, 1): "Arrábida with [[Rui Pereira]] and [[Lena Fischer]]. 14 km, my old trail shoes fell apart on the "
        "descent to Portinho. #hiking",
        (3, 10): "[[Miguel Costa]] got the offer from Atelier Douro in Porto!! Start 1 September. We talk tonight. "
        "#porto",
        (3, 14): "## Decision\nWe're moving to Porto. Miguel accepts tomorrow; I'll tell [[Tom Becker]] on Monday "
        "and ask about the Porto hub ([[Priya Raman]]).\n\n## Why\n- Miguel's dream job\n- Cheaper rent, "
        "more space, balconies\n- Mãe is sad but supportive\n\nStarted [[Move to Porto]]. #porto #decision",
        (3, 20): "1:1 with [[Tom Becker]]: Porto approved, I keep the role, desk at the hub from mid-July. Relief. "
        "#work #porto",
        (4, 14): "[[Kenji Watanabe]] is coming to Lisbon in May! Book dinner. #friends",
        (5, 10): "Porto flat viewings with Miguel. Bonfim T2 has two balconies and light all afternoon; Cedofeita "
        "has no lift. Bonfim it is. See [[Move to Porto]]. #porto",
        (5, 15): "Connection-pool fix shipped, p99 1.8 s → 610 ms. [[Latency Budget]] met. #work",
        (6, 15): "Lunch at Mãe's ([[Helena Almeida]]). Twenty boxes in Pedro's car. Learned the bacalhau à Brás "
        "properly: [[Bacalhau à Brás]]. Mãe is allergic to penicillin, so the old antibiotics in her cupboard went "
        "to the pharmacy. #family",
        (move.month, move.day): "Moving day. Everything made it to Porto except one basil plant. Pizza on the "
        "floor of the new living room. #porto #move",
        (7, 14): "First day at the Porto hub. [[Priya Raman]] showed me around; the desk by the window is mine. "
        "Lunch at Tasca do Bolhão. #work #porto",
        (8, 16): "Gerês day 2: Arado waterfall, cold swim, cabrito in Terras de Bouro. [[Gerês Trip]] #hiking\n\n"
        "Rui's birthday is on 2 September, book a table.",
        (10, 8): "Gave the Berlin talk. Full room, good questions about idempotency key expiry. [[Berlin Talk]] "
        "#work #talk",
        (11, 2): "Ledger cut-over done at 07:10. Reconciliation clean. [[Ledger Migration]] #work/ledger",
        (11, 29): "Quiet Saturday. Bought chestnuts at the Bolhão, read on the balcony. #porto",
        (12, 24): "Consoada at Mãe's. Pedro's bolo-rei, our bacalhau, everyone together. #family",
    }
    out = {}
    for (month, day), text in days.items():
        d = date(y, month, day)
        title = f"# {d.isoformat()}\n\n"
        out[f"Daily/{d.isoformat()}.md"] = title + text.replace("{y}", str(y)) + "\n"
    return out


def project_notes(s: Story) -> dict[str, str]:
    y = s.year
    move = s.move_day
    return {
        "Projects/Move to Porto.md": _front(
            {
                "title": "Move to Porto",
                "aliases": ["Porto move", "the move"],
                "tags": ["porto", "move"],
                "created": date(y, 3, 14),
                "status": "done",
            }
        )
        + "# Move to Porto\n\nMiguel starts at Atelier Douro on 1 September; we move in July.\n\n"
        "## New flat\n**Address:** Rua do Bonfim 214, 3.º Esq., 4300-069 Porto\n\n"
        "- T2, two balconies, 1 150 € / month (condomínio included)\n- Landlord: [[Beatriz Sousa]] (Imóveis Norte)\n"
        "- Lease from 1 July, deposit two months\n\n"
        "## Checklist\n- [x] Tell [[Tom Becker]] and [[Priya Raman]]\n- [x] Sign the lease\n"
        "- [x] Quote from Mudanças Norte (1 480 €)\n- [x] Parking permit from the Junta\n"
        f"- [x] Moving day: {move.isoformat()}\n- [x] Internet (MEO)\n- [x] Change address at the Finanças\n"
        "- [ ] Change address on the Cartão de Cidadão\n\n#porto\n",
        "Projects/Ledger Migration.md": _front(
            {
                "title": "Ledger Migration",
                "tags": ["work", "ledger"],
                "created": date(y, 1, 9),
                "status": "done",
                "owner": "José Núñez",
            }
        )
        + "# Ledger Migration\n\nMove the ledger from the monolith's MySQL to its own Postgres.\n\n"
        "## Phases\n1. Double-write behind a flag\n2. Backfill and reconcile\n3. Switch reads\n4. Cut-over\n\n"
        "## My part\nThe reconciliation job (streams rows, compares checksums per account and day).\n\n"
        "Owner: [[José Núñez]]. Rollback: [[Björn Lindqvist]]. #work/ledger\n",
        "Projects/Latency Budget.md": _front(
            {"title": "Latency Budget", "tags": ["work", "latency"], "created": date(y, 1, 20), "status": "done"}
        )
        + "# Latency Budget\n\n## Numbers\n| Service | p99 budget |\n|---|---|\n| Gateway | 80 ms |\n"
        "| Checkout | 320 ms |\n| Ledger | 250 ms |\n| Fraud checks | 150 ms |\n| **Total** | **800 ms** |\n\n"
        "## Result\nConnection-pool fix: p99 from 1.8 s to 610 ms.\n\n#work\n",
        "Projects/Berlin Talk.md": _front(
            {
                "title": "Idempotency keys at scale",
                "aliases": ["Berlin Talk"],
                "tags": ["work", "talk"],
                "created": date(y, 6, 2),
                "status": "done",
            }
        )
        + "# Idempotency keys at scale: lessons from a payments ledger\n\nBackendConf Berlin, Hall B.\n\n"
        "## Outline\n1. Why retries double-charge\n2. Key scope and expiry\n3. Storing responses, not just keys\n"
        "4. What broke during the [[Ledger Migration]]\n\n#talk\n",
        "Projects/Gerês Trip.md": _front(
            {"title": "Gerês Trip", "tags": ["hiking"], "created": date(y, 7, 20), "status": "done"}
        )
        + "# Gerês Trip\n\nWith [[Rui Pereira]] and [[Inês Carvalho]], 15-17 August.\n\n## Packing\n- [x] Tent\n"
        "- [x] Rain shell\n- [x] New footwear (the old pair died in Arrábida)\n- [x] Swimsuit for the lagoons\n\n"
        "## Route\nArado waterfall trail, camping in Campo do Gerês.\n\n#hiking\n",
        "Projects/Home Office Setup.md": _front(
            {"title": "Home Office Setup", "tags": ["porto", "home"], "created": date(y, 7, 20)}
        )
        + "# Home Office Setup\n\n- [x] Desk from IKEA Matosinhos\n- [x] Monitor arm\n- [ ] Better lamp\n\n"
        "The study faces the back balcony; mornings are quiet. #home\n",
        "Projects/Tax Return.md": _front({"title": f"Tax Return {y}", "tags": ["admin"], "created": date(y, 3, 3)})
        + f"# Tax Return {y}\n\nAccountant: [[Ricardo Mendes]].\n\n- [x] Rent receipts for Alfama\n"
        "- [x] Health expenses not in e-fatura\n- [x] New address after the move\n\n#admin\n",
        f"Meetings/{y}-01-09 Q1 Planning.md": _front(
            {
                "title": "Q1 Planning",
                "tags": ["work", "meeting"],
                "created": date(y, 1, 9),
                "attendees": ["Tom Becker", "José Núñez", "Lena Fischer", "Björn Lindqvist", "Chloé Martin"],
            }
        )
        + "# Q1 Planning\n\n## Decisions\n- Ledger migration is the Q1-Q2 priority ([[Ledger Migration]])\n"
        "- Sofia drives checkout latency ([[Latency Budget]])\n- Björn reviews alerting\n\n#work\n",
        f"Meetings/{y}-02-20 Sintra Offsite.md": _front(
            {"title": "Sintra Offsite", "tags": ["work", "offsite"], "created": s.offsite}
        )
        + "# Sintra Offsite\n\nQuinta da Serra, two days.\n\n## Outcomes\n- Checkout p99 budget: 800 ms, split in "
        "[[Latency Budget#Numbers]]\n- On-call rota for Q2 agreed\n- Refunds v2 moves to Q4\n\n#work\n",
        "Meetings/1-1 Tom.md": _front({"title": "1:1 Tom", "tags": ["work", "meeting"], "created": date(y, 1, 9)})
        + "# 1:1 with [[Tom Becker]]\n\n## Running notes\n- Jan: latency is my Q1 theme\n"
        "- Mar: Porto approved, keep role\n- Jul: settling in at the hub\n- Nov: self-assessment, Berlin talk\n",
    }


def people_notes(s: Story) -> dict[str, str]:
    out = {}
    blurbs = {
        "tom": "My manager. Direct, kind, hates surprises. Likes a one-line summary before details.",
        "lena": "Product designer and friend. Hiking crew. Loves pastéis from Manteigaria.",
        "jose": "Staff engineer from Valencia. Ledger migration lead. Onion in the tortilla.",
        "miguel": "My partner. Architect at Atelier Douro from September.",
        "helena": "Mãe. Retired teacher in Benfica. Sunday calls at 18:00.",
        "priya": "Leads the Porto hub. Data engineer. Introduced me to Tasca do Bolhão.",
    }
    for key, blurb in blurbs.items():
        p = s.p(key)
        meta: dict[str, object] = {"title": p.name, "tags": ["person"], "email": p.email}
        if p.birthday is not None and key != "tom":
            meta["birthday"] = p.birthday
        out[f"People/{p.name}.md"] = _front(meta) + f"# {p.name}\n\n{blurb}\n\n#person\n"
    return out


def misc_notes(s: Story) -> dict[str, str]:
    y = s.year
    return {
        "Recipes/Bacalhau à Brás.md": _front({"title": "Bacalhau à Brás", "tags": ["recipe"], "source": "Mãe"})
        + "# Bacalhau à Brás\n\n## Ingredients\n- 400 g desalted cod, shredded\n- 400 g matchstick potatoes\n"
        "- 2 onions, 6 eggs, parsley, black olives\n\n## Method\n1. Fry the onions slowly.\n2. Add the cod.\n"
        "3. Add the potatoes, then the beaten eggs off the heat.\n\nFrom [[Helena Almeida|Mãe]]. #recipe\n",
        "Recipes/Sourdough.md": _front({"title": "Sourdough", "tags": ["recipe", "baking"]})
        + "# Sourdough\n\n75% hydration, 2% salt, 20% starter. Bulk 5 h at 24 °C. #baking\n",
        "Reading/Books.md": _front({"title": f"Books {y}", "tags": ["reading"]})
        + f"# Books {y}\n\n- [x] Designing Data-Intensive Applications (reread)\n- [x] O Ano da Morte de Ricardo Reis\n"
        "- [ ] The Manager's Path\n\n#reading\n",
        "Porto Neighbourhood.md": _front({"title": "Porto Neighbourhood", "tags": ["porto"], "created": date(y, 7, 20)})
        + "# Porto Neighbourhood\n\n- Bakery: Padaria Ribeiro-ish on the corner\n- Climbing: Vertigem, with "
        "[[Hugo Teixeira]]\n- Market: Bolhão\n- Pharmacy: Farmácia Bonfim\n\n#porto\n",
        "Inbox.md": "# Inbox\n\n- [ ] Cartão de Cidadão address\n- [ ] Paris trip with Miguel?\n"
        "- [ ] Frame the Gerês photo\n",
    }


def write_notes(s: Story, root: Path) -> tuple[list[str], int, dict[str, str]]:
    """Write the vault under ``root/notes``; return (relative paths, note count, note refs by name)."""
    notes = {**daily_notes(s), **project_notes(s), **people_notes(s), **misc_notes(s)}
    base = root / "notes"
    for rel, text in notes.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    refs = {rel: f"note:{rel}" for rel in notes}
    return [f"notes/{rel}" for rel in sorted(notes)], len(notes), refs
