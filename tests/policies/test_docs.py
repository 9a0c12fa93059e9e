"""Generated files stay current."""

from __future__ import annotations

from policies import docs, taggable


def test_readme_is_generated_from_the_code():
    assert docs.README.read_text(encoding="utf-8") == docs.render(), "run `python -m policies.docs`"


def test_taggable_type_list_matches_the_installed_pulumi_aws():
    assert taggable.DATA_FILE.read_text(encoding="utf-8") == taggable.render(taggable.scan_sdk()), \
        "run `python -m policies.taggable`"


def test_readme_documents_the_policy_config_schema():
    text = docs.README.read_text(encoding="utf-8")
    for key in ("mladmin:policy", "enforcement", "exemptions", "expires", "parameters"):
        assert key in text
