"""Keep spaCy's PERSON/LOCATION findings that can be names, and send NER only the text that can hold one.

On developer prompts the small model calls "Docker", "CI", "PostgreSQL", "response.json" and
section headings ("Intro:") persons or places. Those are dropped by rules no real name breaks
(``plausible_ner_span``): names have no digits or code punctuation, are not camelCase (save
McDonald, DiCaprio...), not short acronyms, not all lower case (the gazetteer handles lower case
names) and not only technologies from ``TECH_TERMS``. A PERSON span without a first name that
is only English words is a phrase ("Error Handling") when it has several words, and a heading
when it is one word alone on its line or before a colon ("## Intro", "Format:"); a lone English
word elsewhere is kept, because many surnames are English words ("Smith", "Nielsen").

The same rules screen text before NER (``ner_segments``): a sentence with no word that could
start a surviving span (a capitalised, name-shaped word that is not a technology, and not a
stop word or common verb opening the sentence) cannot yield a finding that survives the filter,
so it skips the model. What is left goes to spaCy as runs of consecutive sentences, keeping
their context. Measured on the evaluation data to lose nothing (tests/privacy).
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.first_names import FIRST_NAMES, SURNAMES
from pipelines.privacy.lexicon import is_english_word, is_verb_adjective_or_adverb, word_set
from pipelines.privacy.names import is_acronym_or_code

# Technologies, products and companies that developer prompts name all the time (lower case).
TECH_TERMS = word_set(
    """
    ai api apis ci cd sdk cli ui ux css html js ts jsx tsx json yaml toml xml sql nosql graphql
    rest http https oauth jwt llm llms gpt rag seo saas mvp crud orm ide
    react vue angular svelte solid preact next nuxt remix astro gatsby vite webpack rollup
    parcel esbuild babel eslint prettier tailwind bootstrap chakra mantine radix shadcn lucide
    framer three storybook redux zustand mobx jotai recoil xstate apollo relay trpc zod yup
    node deno bun express nest nestjs fastify koa hapi django flask fastapi pyramid tornado
    streamlit gradio rails laravel symfony spring quarkus ktor phoenix gin echo fiber
    python java javascript typescript kotlin swift scala haskell elixir erlang clojure perl php
    lua dart flutter rust golang go ruby julia ada pascal fortran cobol matlab bash zsh
    powershell ocaml solidity vyper wasm webassembly
    docker kubernetes helm terraform pulumi ansible vagrant nginx apache caddy traefik
    linux ubuntu debian fedora centos alpine arch windows macos ios android ipados xcode
    git github gitlab bitbucket jira confluence trello asana linear notion obsidian slack
    discord teams zoom figma sketch canva miro loom jupyter colab kaggle vscode vim neovim emacs
    postgres postgresql mysql mariadb sqlite mongodb mongo redis memcached cassandra dynamodb
    firestore firebase supabase neon planetscale cockroachdb clickhouse snowflake bigquery
    redshift databricks duckdb polars pandas numpy scipy matplotlib seaborn plotly bokeh
    sklearn keras tensorflow pytorch torch jax onnx huggingface transformers langchain
    llamaindex pinecone weaviate chroma chromadb qdrant milvus faiss ollama openai anthropic
    claude gemini mistral llama gpt-4 chatgpt copilot cursor windsurf replit lovable bolt
    vercel netlify heroku render railway fly cloudflare aws azure gcp lambda ec2 s3 rds
    stripe paypal twilio sendgrid mailgun postmark resend clerk auth0 okta keycloak cognito
    sentry datadog grafana prometheus kibana elasticsearch opensearch logstash splunk newrelic
    kafka rabbitmq celery airflow dagster prefect dbt spark hadoop flink beam arrow parquet
    jest vitest mocha chai jasmine karma cypress playwright selenium puppeteer pytest junit
    storybook postman swagger openapi insomnia zapier airtable retool bubble webflow wix
    wordpress shopify woocommerce magento contentful sanity strapi ghost hugo jekyll
    excel powerpoint word outlook gmail chrome firefox safari edge opera brave chromium
    blender unity unreal godot tableau looker metabase superset powerbi oracle sap salesforce
    hubspot mailchimp intercom zendesk segment mixpanel amplitude posthog hotjar
    google microsoft apple amazon meta facebook instagram whatsapp telegram twitter tiktok
    youtube linkedin reddit spotify netflix uber airbnb nvidia intel amd arm qualcomm
    markdown latex regex cron oauth2 webhook webhooks websocket websockets grpc protobuf
    husky handlebars pug ejs jinja mustache liquid zipkin jaeger opentelemetry envoy istio
    """
)

# Sentence openers that are never names: stop words, and the verbs prompts start with that are not
# also first names. (A sentence-initial verb, adjective or adverb counts too: see _is_opener.)
_OPENERS = (
    frozenset(STOP_WORDS)
    | (
        word_set(
            """
    add build create make write fix implement use update change show generate explain help
    remove delete refactor convert design develop set ensure include provide describe list
    find give tell act imagine suppose let lets please thanks thank hey hi hello ok okay yes
    no also then now just still maybe sure great good nice cool hmm well so but and or if
    when while where what why how who which can could would should will do does did is are
    was were be have has had need want try run test check debug deploy install configure
    return print read load save open close start stop keep get put call send receive move
    copy paste rename replace sort filter search display render style format clean optimize
    improve review rewrite translate summarize summarise compare calculate compute draw plan
    """
        )
    )
    - FIRST_NAMES
)
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+|\.[ ]?[^\W\d_]+)*\.?$")
_HEADING_BEFORE = re.compile(r"^[\s#*>|•·\-\[(]*(?:\d+[.)]\s*)?[\s*_]*$")
_HEADING_AFTER = re.compile(r"^[\s*_\])]*(?::|$)")
_WORDS = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_CONTRACTION = re.compile(r"['’].*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")


def _name_shaped(word: str) -> bool:
    """Could this capitalised word be (part of) a name that survives the filter?"""
    return (
        word[0].isupper()
        and word != "I"
        and not is_acronym_or_code(word)
        and word.casefold() not in TECH_TERMS
        and not (word.isupper() and is_english_word(word))  # "CAN I SPEAK TO A REAL PERSON"
    )


def _is_heading(text: str, start: int, end: int) -> bool:
    """Alone on its line (after list or heading marks), or followed by a colon: "## Intro"."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return bool(
        _HEADING_BEFORE.match(text[line_start:start]) and _HEADING_AFTER.match(text[end:line_end])
    )


def plausible_ner_span(text: str, start: int, end: int, entity_type: str) -> bool:
    """False for spaCy spans that no real person or place name looks like (module docstring)."""
    span = text[start:end].strip()
    if not span or not _NAME_CHARS.match(span):
        return False
    words = _WORDS.findall(span)
    if not words or not any(_name_shaped(w) for w in words):
        return False  # all lower case, acronyms, camelCase or technologies
    if all(w.casefold() in TECH_TERMS or w.lower() in STOP_WORDS for w in words):
        return False
    if entity_type == "PERSON" and not any(w.lower() in FIRST_NAMES for w in words):
        english = [is_english_word(w) or w.casefold() in TECH_TERMS for w in words]
        if len(words) > 1 and all(english):
            return False  # "Error Handling", "Cache Key Design": a phrase, not a person
        if len(words) == 1 and english[0] and _is_heading(text, start, end):
            return False  # "## Intro", "Format:" (a lone surname elsewhere is kept: "Smith")
    return True


def _is_opener(word: str) -> bool:
    """A sentence-initial word that is no name: "Please", "I'm", "Identify", "Finally".

    Verbs, adjectives and adverbs qualify, nouns do not: proper nouns are nouns in WordNet
    ("Paris", "Tyler"), and a first name or surname never qualifies ("Frank", "Will").
    """
    base = _CONTRACTION.sub("", word).lower()
    if base in _OPENERS:
        return True
    return base not in FIRST_NAMES and base not in SURNAMES and is_verb_adjective_or_adverb(base)


def _segment_has_candidate(segment: str) -> bool:
    for i, match in enumerate(_WORDS.finditer(segment)):
        word = match.group()
        if not _name_shaped(word):
            continue
        if i == 0 and _is_opener(word):
            continue
        return True
    return False


def ner_segments(text: str) -> list[tuple[int, int]]:
    """(start, end) runs of consecutive sentences that may hold a name, in text order."""
    segments = []
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        segments.append((start, boundary.start()))
        start = boundary.end()
    segments.append((start, len(text)))
    runs: list[tuple[int, int]] = []
    in_run = False
    for start, end in segments:
        if end == start:
            continue
        if _segment_has_candidate(text[start:end]):
            if in_run:
                runs[-1] = (runs[-1][0], end)  # the separator stays inside the run
            else:
                runs.append((start, end))
            in_run = True
        else:
            in_run = False
    return runs
