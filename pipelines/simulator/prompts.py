"""What users type: prompts composed from the project's own templates, then roughened like real typing.

A prompt is a template for its intent, filled from banks of app types, features, bugs, error
messages and styles, then passed through ``humanize`` (lowercase, missing punctuation, typos, the
odd ALL-CAPS or non-English prompt). Templates contain no personal data and nothing that looks
like it (no names, emails, phone numbers or IP addresses): every personal value in the simulated
data is injected on purpose and recorded in the ground truth.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pipelines.simulator.randomness import below, between, pick, pick_two


@dataclass(frozen=True)
class AppType:
    """A kind of app people build, with the words their prompts about it use."""

    label: str  # "habit tracker"
    entity: str  # the main thing it manages, plural: "habits"
    features: tuple[str, ...]  # features specific to this kind of app
    pages: tuple[str, ...]


APP_TYPES: tuple[AppType, ...] = (
    AppType("sales dashboard", "deals", ("a revenue chart by month", "a pipeline funnel", "filters by sales rep"), ("overview", "reports", "settings")),
    AppType("analytics dashboard for a SaaS startup", "metrics", ("MRR and churn charts", "a cohort table", "date range picker"), ("dashboard", "cohorts", "settings")),
    AppType("crypto portfolio tracker", "coins", ("live prices", "a profit and loss chart", "a watchlist"), ("portfolio", "markets", "settings")),
    AppType("habit tracker", "habits", ("a weekly streak chart", "daily check-ins", "reminders"), ("today", "stats", "settings")),
    AppType("expense tracker", "expenses", ("categories with icons", "a monthly budget bar", "receipt photo upload"), ("expenses", "budget", "reports")),
    AppType("fitness tracker", "workouts", ("a workout log", "personal records", "a progress chart"), ("log", "progress", "profile")),
    AppType("online store for handmade candles", "products", ("a shopping cart", "Stripe checkout", "product variants by scent"), ("shop", "cart", "checkout")),
    AppType("sneaker e-commerce shop", "sneakers", ("size filters", "a wishlist", "an order tracking page"), ("catalog", "product", "orders")),
    AppType("bakery ordering site", "orders", ("pickup time slots", "a daily menu", "order notes"), ("menu", "order", "admin")),
    AppType("coffee subscription store", "subscriptions", ("plan picker", "pause and skip delivery", "gift subscriptions"), ("plans", "account", "checkout")),
    AppType("print-on-demand t-shirt store", "designs", ("a design uploader", "a mockup preview", "bulk pricing"), ("designer", "cart", "orders")),
    AppType("todo list", "tasks", ("due dates", "drag and drop reordering", "recurring tasks"), ("inbox", "today", "settings")),
    AppType("kanban board", "cards", ("swimlanes", "WIP limits", "card labels"), ("board", "archive", "settings")),
    AppType("project management tool", "projects", ("a gantt chart", "task assignments", "time tracking"), ("projects", "timeline", "team")),
    AppType("note-taking app", "notes", ("markdown support", "folders and tags", "full text search"), ("notes", "tags", "trash")),
    AppType("pomodoro timer", "sessions", ("custom durations", "session history", "a focus sound"), ("timer", "history", "settings")),
    AppType("CRM for a small real estate agency", "leads", ("a lead pipeline", "property matching", "follow-up reminders"), ("leads", "properties", "calendar")),
    AppType("lead tracker", "leads", ("lead scoring", "CSV import", "status columns"), ("leads", "import", "reports")),
    AppType("client portal for a law firm", "cases", ("document sharing", "case status updates", "secure messages"), ("cases", "documents", "messages")),
    AppType("invoice generator", "invoices", ("PDF export", "tax rates", "recurring invoices"), ("invoices", "clients", "settings")),
    AppType("booking system for a hair salon", "appointments", ("a time slot picker", "stylist selection", "SMS reminders"), ("book", "schedule", "admin")),
    AppType("appointment scheduler for a dental clinic", "appointments", ("a weekly calendar", "patient intake forms", "cancellation policy"), ("calendar", "patients", "admin")),
    AppType("restaurant reservation app", "reservations", ("table layouts", "a waitlist", "party size limits"), ("reserve", "tables", "admin")),
    AppType("yoga class booking page", "classes", ("class passes", "instructor profiles", "a class schedule"), ("schedule", "passes", "account")),
    AppType("event ticketing site", "tickets", ("seat selection", "QR code tickets", "early bird pricing"), ("events", "checkout", "tickets")),
    AppType("snake game", "levels", ("a high score table", "increasing speed", "wrap-around walls"), ("game", "scores", "menu")),
    AppType("tetris clone", "levels", ("a next piece preview", "hold piece", "line clear animations"), ("game", "scores", "menu")),
    AppType("memory card game", "cards", ("a move counter", "difficulty levels", "flip animations"), ("game", "scores", "menu")),
    AppType("wordle clone", "words", ("a keyboard with letter colors", "daily word", "share results"), ("game", "stats", "help")),
    AppType("quiz game about world capitals", "questions", ("a timer per question", "a leaderboard", "multiple choice answers"), ("quiz", "results", "leaderboard")),
    AppType("2048 game", "tiles", ("swipe controls", "undo move", "best score"), ("game", "scores", "menu")),
    AppType("typing speed test", "tests", ("words per minute", "accuracy stats", "different text lengths"), ("test", "results", "history")),
    AppType("landing page for a SaaS product", "sections", ("a hero with a call to action", "a pricing table", "testimonials"), ("home", "pricing", "signup")),
    AppType("portfolio website", "projects", ("a project gallery", "a contact form", "an about section"), ("home", "projects", "contact")),
    AppType("waitlist page for a mobile app", "signups", ("a referral link", "a signup counter", "a countdown"), ("home", "thanks", "admin")),
    AppType("personal blog", "posts", ("tags", "an RSS feed", "reading time"), ("home", "post", "archive")),
    AppType("wedding website", "guests", ("an RSVP form", "a schedule of the day", "a photo gallery"), ("home", "rsvp", "gallery")),
    AppType("podcast site", "episodes", ("an audio player", "show notes", "episode search"), ("home", "episodes", "about")),
    AppType("recipe finder", "recipes", ("search by ingredient", "a shopping list", "nutrition info"), ("search", "recipe", "favorites")),
    AppType("weather app", "cities", ("a 7 day forecast", "saved cities", "weather icons"), ("today", "forecast", "cities")),
    AppType("chat app", "messages", ("group chats", "typing indicators", "read receipts"), ("chats", "contacts", "settings")),
    AppType("job board", "jobs", ("job filters", "company pages", "apply with resume upload"), ("jobs", "companies", "post a job")),
    AppType("real estate listings site", "listings", ("a map view", "price filters", "saved searches"), ("search", "listing", "saved")),
    AppType("markdown editor", "documents", ("live preview", "export to PDF", "syntax highlighting"), ("editor", "files", "settings")),
    AppType("URL shortener", "links", ("click analytics", "custom slugs", "QR codes"), ("links", "analytics", "settings")),
    AppType("link-in-bio page", "links", ("custom themes", "click counts", "social icons"), ("page", "editor", "analytics")),
    AppType("flashcards app", "decks", ("spaced repetition", "deck sharing", "image cards"), ("decks", "study", "stats")),
    AppType("language learning app", "lessons", ("daily goals", "audio pronunciation", "streaks"), ("lessons", "practice", "profile")),
    AppType("internal tool to approve expense reports", "reports", ("approval workflow", "manager comments", "export to CSV"), ("inbox", "approved", "settings")),
    AppType("inventory management system", "items", ("low stock alerts", "barcode scanning", "suppliers list"), ("inventory", "suppliers", "reports")),
    AppType("gym membership tracker", "members", ("membership plans", "check-in log", "payment status"), ("members", "check-ins", "plans")),
    AppType("pet adoption site", "pets", ("filters by species and age", "adoption application form", "shelter pages"), ("pets", "apply", "shelters")),
    AppType("online course platform", "courses", ("video lessons", "quizzes", "progress tracking"), ("courses", "lesson", "dashboard")),
    AppType("survey builder", "surveys", ("drag and drop questions", "response charts", "shareable links"), ("builder", "responses", "settings")),
    AppType("AI image gallery", "images", ("masonry layout", "prompt history", "likes"), ("gallery", "upload", "profile")),
    AppType("volunteer scheduling app for a nonprofit", "shifts", ("shift signups", "hour tracking", "a volunteer directory"), ("shifts", "volunteers", "reports")),
    AppType("meal planner", "meals", ("a weekly plan", "grocery list generation", "calorie totals"), ("plan", "groceries", "recipes")),
    AppType("travel itinerary planner", "trips", ("day by day plans", "a map of stops", "budget tracking"), ("trips", "itinerary", "budget")),
    AppType("book club app", "books", ("reading schedule", "discussion threads", "ratings"), ("books", "discussions", "members")),
    AppType("plant care tracker", "plants", ("watering reminders", "plant photos", "care tips"), ("plants", "schedule", "tips")),
)

GENERIC_FEATURES = (
    "user login with email and password", "Google sign in", "dark mode", "a search bar",
    "filters by category and price", "a calendar view", "CSV export", "a settings page",
    "email notifications", "image upload", "comments", "a leaderboard", "pagination",
    "an admin panel", "role based permissions", "a map with pins", "tags", "a progress bar",
    "offline support", "multi-language support", "a contact form", "reviews and star ratings",
    "a countdown timer", "infinite scroll", "a profile page with avatar upload",
    "two-factor authentication", "a pricing table", "a FAQ section", "an onboarding flow",
    "keyboard shortcuts", "undo and redo", "a rich text editor", "PDF export",
    "real-time updates", "a newsletter signup", "sorting by date", "bulk delete", "favorites",
    "coupon codes", "a sidebar navigation", "breadcrumbs", "a mobile menu", "an image carousel",
    "a footer with social links", "a dashboard with KPIs", "a Supabase database",
    "a REST API endpoint", "webhooks", "an activity feed", "a notifications bell",
    "drag and drop file upload", "a share button", "print styles", "an audit log",
    "a public read-only link", "a trial period banner", "usage limits per plan",
    "a command palette", "an empty state illustration", "skeleton loaders", "toast messages",
    "form validation", "a confirmation dialog before deleting", "a help tooltip", "a changelog page",
)
AUDIENCES = (
    "my team", "freelancers", "small businesses", "students", "my gym members", "our customers",
    "dog walkers", "teachers", "a local bakery", "nonprofits", "remote teams", "my family",
    "my startup", "our sales team", "photographers", "real estate agents", "my coworkers",
    "our HR department", "my online community", "event organizers",
)
ADJECTIVES = ("simple", "clean", "modern", "minimal", "fun", "colorful", "professional", "fast",
              "mobile-friendly", "beautiful", "basic", "polished")

NEW_APP_TEMPLATES = (
    "build me a {app} with {feature}",
    "create a {adj} {app} for {audience}",
    "I need a {app} where {audience} can track {entity}",
    "make a {adj} {app} with {feature} and {feature2}",
    "can you build a {app}? it should have {feature}",
    "{app} with {feature}, {feature2} and {feature3}",
    "start a new project: a {app} for {audience}",
    "I want to build a {app}. Features: {feature}, {feature2}. Keep it {adj}.",
    "Build a {adj} {app}. Must have {feature}.",
    "hey can u make a {app} for {audience}",
    "Create a web app: {app}. Users should be able to manage {entity} and see {feature}.",
    "i'm a beginner, please make me a {app}",
    "Generate a {app} using React and Tailwind with {feature}",
    "new app: {app}. {feature2} is the most important part",
    "Make me an MVP of a {app} for {audience}, nothing fancy",
    "I run a small business and need a {app} with {feature}",
    "clone of a {app} but {adj}, with {feature}",
    "Design and build a {app}. Pages: {page}, {page2}. Include {feature}.",
)
ADD_FEATURE_TEMPLATES = (
    "add {feature}",
    "can you add {feature} to the {page} page",
    "i want {feature}",
    "now add {feature} so users can manage their {entity}",
    "please implement {feature}",
    "we need {feature} for the {entity}",
    "Add {feature} and {feature2}",
    "next: {feature}",
    "could you also add {feature}?",
    "add a way to delete {entity}",
    "let users export their {entity} to CSV",
    "Add {feature}. Put it in the header.",
    "on the {page} page add {feature}",
    "implement {feature} like in the previous version",
    "I'd like {feature} on the {page} screen",
    "add a {page} page that lists all {entity}",
    "make it possible to share {entity} with other users",
)
BUGS = (
    "the {page} page is blank after login",
    "when I click save nothing happens",
    "the {entity} list doesn't update after I add one",
    "the cart total is wrong when I add the same item twice",
    "images don't load on mobile",
    "the form submits twice",
    "login redirects to a 404",
    "dark mode resets when I refresh",
    "the chart shows NaN",
    "dates are off by one day",
    "sorting by date is broken",
    "the modal won't close",
    "layout breaks on my iphone",
    "search returns nothing even though there are {entity}",
    "checkout fails with an error",
    "all my {entity} disappear when I refresh the page",
    "the delete button deletes the wrong item",
    "the timer keeps running after I stop it",
    "it's super slow when there are more than 100 {entity}",
    "the signup email never arrives",
    "the {page} page loops forever",
    "buttons overlap on small screens",
    "nothing shows up on the {page} page",
    "i get logged out every few minutes",
)
FIX_BUG_TEMPLATES = (
    "{bug}",
    "fix this: {bug}",
    "{bug}, can you fix it",
    "getting this error:\n{error}",
    "fix this error\n\n{error}",
    "{bug}. console says:\n{error}",
    "it crashes: {error}",
    "still broken. {bug}",
    "why does {bug}?",
    "{error}",
    "Please fix: {bug}",
    "help!! {bug}",
    "the build fails:\n{error}",
    "{bug} and I see this in the console: {error}",
)
ERRORS = (
    "TypeError: Cannot read properties of undefined (reading 'map')",
    "TypeError: Cannot read properties of null (reading 'id')",
    "ReferenceError: process is not defined",
    "Uncaught Error: Too many re-renders. React limits the number of renders to prevent an infinite loop.",
    "Error: Hydration failed because the initial UI does not match what was rendered on the server.",
    "SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
    "Module not found: Error: Can't resolve './components/{component}' in '/app/src'",
    "src/{file}(42,17): error TS2339: Property 'id' does not exist on type 'never'.",
    "src/{file}(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
    "Warning: Each child in a list should have a unique \"key\" prop.",
    "Failed to load resource: the server responded with a status of 401 (Unauthorized)",
    "PGRST116: JSON object requested, multiple (or no) rows returned",
    "new row violates row-level security policy for table \"{entity}\"",
    "Error: Invalid hook call. Hooks can only be called inside of the body of a function component.",
    "Uncaught (in promise) FirebaseError: Missing or insufficient permissions.",
    "[vite] Internal server error: Failed to resolve import \"recharts\" from \"src/{file}\". Does the file exist?",
    "Access to fetch at '/api/{entity}' from origin has been blocked by CORS policy",
    "Unhandled Runtime Error\nError: useNavigate() may be used only in the context of a <Router> component.",
    "TypeError: {entity}.filter is not a function\n    at {component} (src/{file}:27:31)",
    "Error: Objects are not valid as a React child (found: object with keys {{id, name}}).",
    "Uncaught RangeError: Maximum call stack size exceeded",
    "500 Internal Server Error: relation \"public.{entity}\" does not exist",
    "AuthApiError: Invalid login credentials",
    "Stripe: No such price: 'price_1Nx'",
)
COMPONENTS = ("Header", "Sidebar", "Dashboard", "Navbar", "TaskList", "Cart", "Checkout", "Calendar",
              "Modal", "Footer", "ProductCard", "Chart", "Settings", "LoginForm", "Table", "Board")
FILES = ("App.tsx", "pages/Dashboard.tsx", "components/Header.tsx", "components/Cart.tsx",
         "lib/api.ts", "hooks/useAuth.ts", "pages/Settings.tsx", "components/Calendar.tsx",
         "components/TaskList.tsx", "pages/Checkout.tsx")

STYLE_REQUESTS = (
    "make it look more modern", "change the color scheme to {palette}", "use a {font} font",
    "make the buttons rounded", "add more spacing between the cards", "make it responsive on mobile",
    "make the header sticky", "use a dark theme with {color} accents", "center the login form",
    "make it look like {brand}", "the font is too small", "change the background to a gradient from {color} to {color2}",
    "add subtle animations on hover", "make the sidebar collapsible", "use glassmorphism for the cards",
    "make it more playful", "make it look professional", "the {page} page looks cluttered, clean it up",
    "use {color} as the primary color", "make the logo bigger", "align everything to the left",
    "add icons to the menu items", "less shadows, flatter design", "make the table zebra striped",
    "increase contrast, it's hard to read", "use a card layout instead of a table",
    "make the hero section full height", "round the corners of the images",
)
STYLE_TEMPLATES = ("{style}", "{style} please", "can you {style}", "{style} and {style2}",
                   "I don't like the design. {style}", "{style}, it looks boring right now",
                   "design: {style}", "{style}!!")
PALETTES = ("pastel", "earth tones", "black and white", "blue and orange", "purple and teal",
            "warm colors", "something calmer", "our brand colors (navy and gold)")
COLORS = ("blue", "green", "purple", "orange", "pink", "teal", "red", "yellow", "indigo", "emerald", "slate")
FONTS = ("Inter", "Poppins", "serif", "monospace", "Roboto", "bigger", "rounder", "handwritten")
BRANDS = ("apple's website", "linear", "stripe", "notion", "airbnb", "a 90s website", "spotify", "vercel")

FOLLOW_UPS = (
    "ok now {feature}", "thanks! can you also add {feature}", "that works", "perfect, next make the {page} page",
    "continue", "go on", "now do the same for the {page} page", "can you explain what you changed?",
    "undo the last change", "keep going", "yes", "looks good, add {feature}", "almost there, but {bug}",
    "hmm not quite, {bug}", "do it", "yes please", "great, what's next?", "ok", "nice! now {style}",
    "same thing but for {entity}", "can you make that optional", "revert that and try again",
    "that's better. now {feature}", "no, I meant the {page} page", "finish the rest",
    "it works now, thanks", "now connect it to the database",
)
OTHER_PROMPTS = (
    "what stack is this using?", "how do I deploy this?", "can I connect my own domain?",
    "explain how the auth works", "write a README", "how much will this cost to host",
    "is my data safe?", "add tests", "refactor the code to be cleaner", "translate the UI to {language}",
    "write SEO meta tags", "generate sample data for the {entity} table", "what does this app do right now",
    "summarize the project", "how do I add a team member", "can this handle 10k users",
    "where are the {entity} stored", "how do I export the code", "what's the difference between the two pages",
    "list all the files", "make a plan for the next features", "how do I make this a mobile app",
)
LANGUAGES = ("Spanish", "French", "German", "Portuguese", "Japanese", "Italian")

# A few prompts in other languages, as a global user base writes them.
FOREIGN_PROMPTS = {
    "new_app": ("crea una app de reservas para mi peluquería", "fais-moi une application de liste de tâches simple",
                "erstelle eine App zum Verwalten von Rezepten", "cria um site para minha loja de roupas",
                "crea un gestor de inventario sencillo"),
    "add_feature": ("añade un botón para exportar a PDF", "ajoute un mode sombre", "füge eine Suchleiste hinzu",
                    "adicione login com Google"),
    "fix_bug": ("el botón de guardar no funciona", "la page est blanche après la connexion",
                "die Seite lädt nicht mehr", "o carrinho não atualiza"),
    "change_style": ("haz los botones más grandes", "mets plus d'espace entre les cartes",
                     "mach das Design moderner", "muda a cor principal para verde"),
    "follow_up": ("gracias, sigue", "merci, continue", "danke, weiter so", "valeu, continua"),
    "other": ("¿cómo publico mi app?", "comment je connecte mon domaine ?", "wie teuer ist das Hosting?"),
}

# Short prompts everybody types; they repeat verbatim across users (as real logs do).
COMMON_PROMPTS = {
    "fix_bug": ("fix it", "still not working", "it's broken", "fix the errors", "doesn't work", "same error",
                "Fix this error"),
    "follow_up": ("continue", "yes", "ok", "go on", "do it", "thanks"),
    "change_style": ("make it look better", "make it prettier", "add dark mode", "make it responsive"),
    "add_feature": ("add login", "add a search bar", "add dark mode", "add a contact form"),
    "other": ("how do I deploy this?", "write a README"),
    "new_app": ("build me a todo app", "make a landing page", "make a snake game", "create a portfolio website"),
}

_TYPO_NEIGHBOURS = {
    "a": "qs", "e": "wr", "i": "uo", "o": "ip", "t": "ry", "n": "bm", "s": "ad", "r": "et", "l": "k",
    "h": "gj", "d": "sf", "c": "xv", "u": "yi", "m": "n", "p": "o", "g": "fh", "b": "vn",
}


@dataclass(frozen=True)
class Prompt:
    text: str
    subject: str | None  # the feature, style change or bug it asks about, for the answer to echo


_ARTICLE = re.compile(r"\b([Aa]) (?=[aeioAEIO])")


def _fill(rng: random.Random, template: str, app: AppType) -> Prompt:
    features = app.features + GENERIC_FEATURES
    feature, feature2 = pick_two(rng, features)
    feature3 = pick(rng, features)
    page, page2 = pick_two(rng, app.pages)
    values = {
        "app": app.label, "entity": app.entity, "feature": feature, "feature2": feature2,
        "feature3": feature3, "audience": pick(rng, AUDIENCES), "adj": pick(rng, ADJECTIVES),
        "page": page, "page2": page2,
    }
    if "{bug}" in template:
        values["bug"] = pick(rng, BUGS).format(**values)
    if "{error}" in template:
        values["error"] = error_message(rng, app)
    if "{style" in template:
        values["style"] = _style(rng, app)
        values["style2"] = _style(rng, app)
    if "{language}" in template:
        values["language"] = pick(rng, LANGUAGES)
    subject = next((values[k] for k in ("feature", "style", "bug") if "{" + k + "}" in template), None)
    return Prompt(_ARTICLE.sub(r"\1n ", template.format(**values)), subject)


def _style(rng: random.Random, app: AppType) -> str:
    color, color2 = pick_two(rng, COLORS)
    return pick(rng, STYLE_REQUESTS).format(
        palette=pick(rng, PALETTES), font=pick(rng, FONTS), color=color, color2=color2,
        brand=pick(rng, BRANDS), page=pick(rng, app.pages),
    )


def error_message(rng: random.Random, app: AppType) -> str:
    """A browser or compiler error as a user pastes it."""
    return pick(rng, ERRORS).format(component=pick(rng, COMPONENTS), file=pick(rng, FILES),
                                     entity=app.entity.replace(" ", "_"))


_TEMPLATES = {
    "new_app": NEW_APP_TEMPLATES,
    "add_feature": ADD_FEATURE_TEMPLATES,
    "fix_bug": FIX_BUG_TEMPLATES,
    "change_style": STYLE_TEMPLATES,
    "follow_up": FOLLOW_UPS,
    "other": OTHER_PROMPTS,
}


def compose(rng: random.Random, intent: str, app: AppType) -> Prompt:
    """A fresh prompt for ``intent`` about ``app``, as a person would type it."""
    roll = rng.random()
    if roll < 0.03:
        return Prompt(pick(rng, FOREIGN_PROMPTS[intent]), None)
    if roll < 0.09:
        return Prompt(pick(rng, COMMON_PROMPTS[intent]), None)
    prompt = _fill(rng, pick(rng, _TEMPLATES[intent]), app)
    return Prompt(humanize(rng, prompt.text), prompt.subject)


def pasted_error_prompt(rng: random.Random, error_text: str) -> str:
    """A fix request that pastes the build output the user just saw."""
    lead = pick(rng, ("fix this", "the build failed", "build error:", "it doesn't build", "help, build failed",
                       "getting this when building", "pls fix"))
    return f"{lead}\n{error_text}" if rng.random() < 0.7 else f"{lead}: {error_text}"


def humanize(rng: random.Random, text: str) -> str:
    """Roughen a prompt the way people type: case, punctuation, typos, filler words."""
    roll = rng.random()
    if roll < 0.02:
        text = text.upper()
    elif roll < 0.42:
        text = text.lower()
    elif text[:1].islower() and rng.random() < 0.5:
        text = text[:1].upper() + text[1:]
    if text and text[-1] in ".?!" and rng.random() < 0.35:
        text = text[:-1]
    if rng.random() < 0.18:
        for _ in range(between(rng, 1, 2)):
            text = _typo(rng, text)
    roll = rng.random()
    if roll < 0.04:
        text = f"{pick(rng, ('hey', 'hi', 'ok so', 'hello', 'quick one:'))} {text}"
    elif roll < 0.09:
        text = f"{text} {pick(rng, ('pls', 'please', 'thanks', 'thx', 'asap', 'plz', '🙏', '!!'))}"
    return text


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 8:
        return text
    i = between(rng, 1, len(text) - 3)
    kind = below(rng, 4)
    if not text[i].isalpha():
        return text
    if kind == 0:  # swap two neighbours
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == 1:  # drop a letter
        return text[:i] + text[i + 1:]
    if kind == 2:  # double a letter
        return text[:i] + text[i] + text[i:]
    wrong = _TYPO_NEIGHBOURS.get(text[i].lower())
    return text[:i] + pick(rng, wrong) + text[i + 1:] if wrong else text
