"""What the platform writes back: assistant prose, unified-diff patches, build output, feedback comments.

Patches are real unified diffs whose ``+``/``-`` lines count exactly ``lines_added`` and
``lines_removed`` (headers and context lines excluded); code lines come from small banks per file
type. Nothing here contains personal data or secrets: those are injected separately.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines.simulator.prompts import COMPONENTS, GENERIC_FEATURES, AppType
from pipelines.simulator.randomness import between, lognormal_int, pick, pick_two

_TSX_LINES = tuple(
    line
    for component in COMPONENTS
    for line in (
        f"import {{ {component} }} from './components/{component}';",
        f"export function {component}({{ items, onSelect }}: {component}Props) {{",
        "  const [open, setOpen] = useState(false);",
        f"      <{component} items={{items}} onSelect={{handleSelect}} />",
        f"type {component}Props = {{ items: Item[]; onSelect: (id: string) => void }};",
    )
) + (
    "  const [loading, setLoading] = useState(true);",
    "  const [error, setError] = useState<string | null>(null);",
    "  useEffect(() => {",
    "    fetchItems().then(setItems).finally(() => setLoading(false));",
    "  }, []);",
    "  if (loading) return <Spinner />;",
    "  return (",
    "    <div className=\"flex min-h-screen flex-col bg-background\">",
    "      <main className=\"mx-auto w-full max-w-5xl p-6\">",
    "      </main>",
    "    </div>",
    "  );",
    "}",
    "const { data, error } = await supabase.from('items').select('*').order('created_at');",
    "if (error) throw error;",
    "export default App;",
    "import { useState, useEffect } from 'react';",
    "import { Button } from '@/components/ui/button';",
    "import { Card, CardContent, CardHeader } from '@/components/ui/card';",
    "      {items.map((item) => (",
    "        <Card key={item.id} className=\"hover:shadow-md\">",
    "        </Card>",
    "      ))}",
    "  const handleSubmit = async (event: React.FormEvent) => {",
    "    event.preventDefault();",
    "    await saveItem(form);",
    "  };",
    "  const filtered = items.filter((item) => item.name.toLowerCase().includes(query));",
    "  const total = cart.reduce((sum, line) => sum + line.price * line.quantity, 0);",
    "      <Button onClick={() => setOpen(true)}>Add new</Button>",
    "      <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder=\"Search\" />",
    "  localStorage.setItem('theme', theme);",
    "  document.documentElement.classList.toggle('dark', theme === 'dark');",
    "export async function fetchItems(): Promise<Item[]> {",
    "  const response = await fetch('/api/items');",
    "  return response.json();",
    "interface Item { id: string; name: string; createdAt: string }",
    "      <h1 className=\"text-3xl font-bold tracking-tight\">Welcome back</h1>",
    "      <p className=\"text-muted-foreground\">Here is what happened this week.</p>",
    "  const navigate = useNavigate();",
    "        <Route path=\"/settings\" element={<Settings />} />",
    "  const { user } = useAuth();",
    "  if (!user) return <Navigate to=\"/login\" />;",
    "      <ResponsiveContainer width=\"100%\" height={300}>",
    "        <LineChart data={series}><Line dataKey=\"value\" stroke=\"#6366f1\" /></LineChart>",
    "      </ResponsiveContainer>",
    "    toast({ title: 'Saved', description: 'Your changes were saved.' });",
    "  } catch (err) {",
    "    setError(err instanceof Error ? err.message : 'Something went wrong');",
    "  }",
)
_CSS_LINES = (
    ":root {", "}", "  --primary: 239 84% 67%;", "  --radius: 0.75rem;", "  --background: 0 0% 100%;",
    ".dark {", "  --background: 222 47% 11%;", "  --foreground: 210 40% 98%;", ".card {",
    "  border-radius: var(--radius);", "  box-shadow: 0 1px 3px rgb(0 0 0 / 0.1);", "  padding: 1.5rem;",
    "  transition: transform 150ms ease;", ".card:hover { transform: translateY(-2px); }",
    "@media (max-width: 640px) {", "  .sidebar { display: none; }", "  font-family: 'Inter', sans-serif;",
    "  background: linear-gradient(135deg, #6366f1, #ec4899);", "  gap: 1rem;", "  display: grid;",
    "  grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));", "  position: sticky;", "  top: 0;",
)
_CONFIG_LINES = (
    "export default {", "  content: ['./index.html', './src/**/*.{ts,tsx}'],", "  darkMode: 'class',",
    "  theme: {", "    extend: {", "      colors: { primary: '#6366f1' },", "      borderRadius: { xl: '1rem' },",
    "    },", "  },", "  plugins: [],", "};",
)
_JSON_LINES = (
    "    \"@supabase/supabase-js\": \"^2.45.0\",", "    \"react-router-dom\": \"^6.26.0\",",
    "    \"recharts\": \"^2.12.7\",", "    \"date-fns\": \"^3.6.0\",", "    \"zustand\": \"^4.5.4\",",
    "    \"lucide-react\": \"^0.441.0\",", "    \"@stripe/stripe-js\": \"^4.4.0\",", "    \"zod\": \"^3.23.8\",",
)
_MD_LINES = (
    "# Project", "## Getting started", "Run `npm install` and then `npm run dev`.", "## Stack",
    "- React + TypeScript + Vite", "- Tailwind CSS and shadcn/ui", "- Supabase for auth and data",
    "## Deploying", "Push to main and the platform publishes a new version.",
)
_NEW_APP_FILES = ("src/App.tsx", "src/main.tsx", "src/index.css", "package.json", "tailwind.config.js",
                  "src/lib/supabase.ts", "src/lib/api.ts", "src/hooks/useAuth.ts")
_STYLE_FILES = ("src/index.css", "tailwind.config.js", "src/App.tsx")


_CORPUS_LINES = 4096
_BANKS_BY_SUFFIX = {"css": _CSS_LINES, "json": _JSON_LINES, "md": _MD_LINES, "js": _CONFIG_LINES}


@dataclass(frozen=True)
class _Corpus:
    """A long, fixed shuffle of a bank with the diff prefixes already applied.

    A hunk takes contiguous slices at one random offset: one random draw per hunk instead of one
    per line, which matters because patches are the bulk of the simulated bytes.
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
    context: tuple[str, ...]


def _corpus(bank: tuple[str, ...]) -> _Corpus:
    shuffler = random.Random(f"corpus:{len(bank)}:{bank[0]}")  # fixed: part of the simulator, not of a run
    lines = [shuffler.choice(bank) for _ in range(_CORPUS_LINES)]
    return _Corpus(tuple("+" + x for x in lines), tuple("-" + x for x in lines), tuple(" " + x for x in lines))


_TSX_CORPUS = _corpus(_TSX_LINES)
_CORPORA = {suffix: _corpus(bank) for suffix, bank in _BANKS_BY_SUFFIX.items()}


def _corpus_for(path: str) -> _Corpus:
    return _CORPORA.get(path.rpartition(".")[2], _TSX_CORPUS)


def _component_files(rng: random.Random, app: AppType, k: int) -> list[str]:
    files = []
    for _ in range(k):
        if rng.random() < 0.5:
            files.append(f"src/components/{pick(rng, COMPONENTS)}.tsx")
        else:
            files.append(f"src/pages/{pick(rng, app.pages).title().replace(' ', '')}.tsx")
    return files


def files_for(rng: random.Random, intent: str, app: AppType) -> list[str]:
    """The files a generation touches, by intent (sorted, unique)."""
    if intent == "new_app":
        files = rng.sample(_NEW_APP_FILES, between(rng, 3, 6)) + _component_files(rng, app, between(rng, 1, 4))
    elif intent == "change_style":
        files = rng.sample(_STYLE_FILES, between(rng, 1, 2)) + _component_files(rng, app, between(rng, 0, 2))
    elif intent == "fix_bug":
        files = _component_files(rng, app, between(rng, 1, 2))
    elif intent == "other":
        files = ["README.md"] if rng.random() < 0.5 else []
    else:
        files = _component_files(rng, app, between(rng, 1, 3))
    return sorted(set(files))


# Median added lines and removed/added ratio by intent.
_SIZE = {"new_app": (110, 0.02), "add_feature": (40, 0.2), "fix_bug": (8, 0.7), "change_style": (14, 0.6),
         "follow_up": (18, 0.3), "other": (12, 0.1)}


def change_size(rng: random.Random, intent: str, files: int) -> tuple[int, int]:
    """(lines_added, lines_removed) for a change across ``files`` files."""
    if files == 0:
        return 0, 0
    median, removed_ratio = _SIZE[intent]
    added = lognormal_int(rng, median, 0.8, files, 900)
    removed = min(added * 2, int(added * removed_ratio * rng.uniform(0.3, 1.7)))
    return added, removed


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` non-negative integers (random proportions)."""
    if parts == 1:
        return [total]
    cuts = sorted(int(rng.random() * (total + 1)) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def unified_diff(rng: random.Random, files: list[str], added: int, removed: int) -> str:
    """A unified diff over ``files`` with exactly ``added`` + lines and ``removed`` - lines."""
    if not files:
        return ""
    chunks: list[str] = []
    span = _CORPUS_LINES - 1000  # room for the largest hunk (changes are capped at 900 lines)
    for path, plus, minus in zip(files, _split(rng, added, len(files)), _split(rng, removed, len(files)), strict=True):
        corpus = _corpus_for(path)
        at = int(rng.random() * span)
        if minus == 0 and rng.random() < 0.3:  # a new file
            chunks.append(f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{plus} @@")
            chunks.extend(corpus.added[at:at + plus])
            continue
        start = 1 + int(rng.random() * 180)
        chunks.append(f"--- a/{path}\n+++ b/{path}\n@@ -{start},{minus + 5} +{start},{plus + 5} @@")
        chunks.extend(corpus.context[at:at + 3])
        chunks.extend(corpus.removed[at + 3:at + 3 + minus])
        chunks.extend(corpus.added[at + 3 + minus:at + 3 + minus + plus])
        chunks.extend(corpus.context[at + 3 + minus + plus:at + 5 + minus + plus])
    return "\n".join(chunks) + "\n"


def count_patch_lines(patch: str) -> tuple[int, int]:
    """(added, removed) lines of a unified diff, file headers excluded."""
    added = removed = 0
    for line in patch.split("\n"):
        if line.startswith("+") and not line.startswith("+++ "):
            added += 1
        elif line.startswith("-") and not line.startswith("--- "):
            removed += 1
    return added, removed


_SUMMARIES = {
    "new_app": (
        "I created a {app} with {feature} and {feature2}. The layout lives in src/App.tsx and the data layer in src/lib/api.ts.",
        "Your {app} is ready: it has {feature}, {feature2} and a responsive layout built with Tailwind.",
        "I've set up a new {app}. It includes {feature}, and I added sample {entity} so you can try it right away.",
        "Here's a first version of the {app}. I focused on {feature} and kept the design clean and simple.",
    ),
    "add_feature": (
        "I added {feature} to the {page} page.",
        "Done: {feature} is now available. I also updated the {page} page so it fits in.",
        "I've implemented {feature}. The new logic is in a small hook so it stays easy to change.",
        "Added {feature}, with loading and error states.",
    ),
    "fix_bug": (
        "The problem was that the {entity} were not loaded yet when the list rendered. I added a loading guard.",
        "Fixed: the effect was missing a dependency, which caused stale state on the {page} page.",
        "I found the issue: a field was undefined for new {entity}. I added a default value and a type check.",
        "The error came from an import path that did not exist. I corrected it and the build passes now.",
        "The state was updated during render, which caused the loop. I moved the update into an effect.",
    ),
    "change_style": (
        "I refreshed the styling: more spacing, rounded cards and a softer color palette.",
        "Updated the theme colors and typography, and made the header sticky.",
        "I made the layout responsive: the sidebar collapses on small screens and the cards stack.",
        "The design now uses a dark theme with clearer contrast.",
    ),
    "follow_up": (
        "Done! I continued with the remaining parts of the {page} page.",
        "I applied the same change to the {page} page.",
        "Here's the next step: {feature} is wired up now.",
        "I reverted the previous change and tried a simpler approach.",
    ),
    "other": (
        "This project uses React, TypeScript and Vite, with Tailwind CSS for styling and Supabase for data and auth.",
        "To deploy, click Publish in the top right; you can connect a custom domain in the project settings.",
        "I wrote a README that explains how to run the project locally and how it is structured.",
        "The {entity} are stored in a Supabase table with row-level security, so users only see their own data.",
    ),
}
_NEXT_STEPS = ("", "", " You can preview it now.", " Want me to add tests next?",
               " Let me know if you want a different layout.", " Next, you could add {feature2}.")


_ECHO_SUMMARIES = {
    "change_style": (
        'I applied your change ("{subject}") to the theme and the affected components.',
        'Done: "{subject}". I kept the layout and only touched the styles.',
    ),
    "fix_bug": (
        'I looked into "{subject}": a field was undefined for new {entity}. I added a default value and a type check.',
        'Fixed "{subject}": the effect was missing a dependency, which left stale state on the {page} page.',
        'The cause of "{subject}" was an unhandled promise in the data layer. I added error handling and a retry.',
    ),
}


def assistant_text(rng: random.Random, intent: str, app: AppType, subject: str | None = None) -> str:
    """The assistant's summary of its change; it talks about ``subject`` (what the prompt asked) when known."""
    feature, feature2 = pick_two(rng, app.features + GENERIC_FEATURES)
    if subject is not None and intent in ("new_app", "add_feature", "follow_up"):
        feature = subject
    values = {"app": app.label, "entity": app.entity, "page": pick(rng, app.pages), "feature": feature,
              "feature2": feature2, "subject": subject}
    templates = _SUMMARIES[intent]
    if subject is not None and intent in _ECHO_SUMMARIES and rng.random() < 0.7:
        templates = _ECHO_SUMMARIES[intent]
    return (pick(rng, templates) + pick(rng, _NEXT_STEPS)).format(**values)


BUILD_ERROR_CLASSES = ("syntax_error", "type_error", "dependency_error", "runtime_error", "timeout", "other")
_BUILD_ERROR_WEIGHTS = (0.22, 0.30, 0.18, 0.18, 0.04, 0.08)
_BUILD_ERRORS = {
    "syntax_error": (
        "src/{file}({line},{col}): error TS1005: ';' expected.",
        "SyntaxError: /app/src/{file}: Unexpected token ({line}:{col})\n> {line} |       {{items.map(item => (\n    |             ^",
        "[plugin:vite:react-babel] /app/src/{file}: Expected corresponding JSX closing tag for <div>. ({line}:{col})",
        "src/{file}({line},{col}): error TS1128: Declaration or statement expected.",
    ),
    "type_error": (
        "src/{file}({line},{col}): error TS2322: Type 'string' is not assignable to type 'number'.",
        "src/{file}({line},{col}): error TS2345: Argument of type 'string | undefined' is not assignable to parameter of type 'string'.",
        "src/{file}({line},{col}): error TS2339: Property 'name' does not exist on type '{component}Props'.",
        "src/{file}({line},{col}): error TS7006: Parameter 'e' implicitly has an 'any' type.",
    ),
    "dependency_error": (
        "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR! Found: react@18.3.1\nnpm ERR! Could not resolve dependency:\nnpm ERR! peer react@\"^16.8.0 || ^17.0.0\" from react-beautiful-dnd@13.1.1",
        "[vite]: Rollup failed to resolve import \"@supabase/supabase-js\" from \"src/lib/supabase.ts\".",
        "npm ERR! 404 Not Found - GET https://registry.npmjs.org/react-chartz - Not found",
        "Error: Cannot find module 'date-fns/format'\nRequire stack:\n- /app/src/{file}",
    ),
    "runtime_error": (
        "ReferenceError: window is not defined\n    at Module.<anonymous> (/app/src/{file}:{line}:{col})",
        "Error occurred prerendering page \"/\". TypeError: Cannot read properties of undefined (reading 'length')\n    at {component} (/app/src/{file}:{line}:{col})",
        "TypeError: fetch failed\n    at async loadItems (/app/src/lib/api.ts:{line}:{col})",
    ),
    "timeout": (
        "Build exceeded the maximum duration of 600 seconds and was cancelled.",
        "Error: Command \"npm run build\" timed out after 10m0s",
    ),
    "other": (
        "Error: ENOSPC: no space left on device, write",
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        "Error: EACCES: permission denied, mkdir '/app/node_modules/.vite'",
    ),
}


def build_failure(rng: random.Random) -> tuple[str, str]:
    """(error_class, compiler or runtime output) of a failed build."""
    error_class = rng.choices(BUILD_ERROR_CLASSES, weights=_BUILD_ERROR_WEIGHTS)[0]
    message = pick(rng, _BUILD_ERRORS[error_class]).format(
        file=pick(rng, ("App.tsx", "pages/Dashboard.tsx", "components/Header.tsx", "lib/api.ts",
                         "components/Cart.tsx", "pages/Settings.tsx")),
        line=between(rng, 3, 220), col=between(rng, 1, 60), component=pick(rng, COMPONENTS),
    )
    return error_class, message


POSITIVE_COMMENTS = (
    "worked first time", "exactly what I wanted", "love it", "great job", "nice and clean", "fast!",
    "this is perfect", "much better than before", "👍", "wow", "good, small tweak needed", "saved me hours",
    "clean code", "the design is great", "finally works",
)
NEGATIVE_COMMENTS = (
    "broke my layout", "ignored what I asked", "it deleted my header", "too many changes at once",
    "still has the same bug", "wrong colors", "the build failed", "slow and wrong", "made it worse",
    "used a library that doesn't exist", "doesn't compile", "not what I asked for", "removed my changes",
    "way too complicated", "it keeps making the same mistake",
)
