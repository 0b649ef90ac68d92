"""From a plan document (考核细则 as .docx, .txt, .pdf with a text layer, or pasted text) to a
draft indicator tree in the `mofan-indicators/1` format (docs/indicator-format.md, "Importing
documents"). Pure, deterministic and offline: text extraction (`extract`), line classification
(`lines`), scoring rules (`rules`), the tree (`build`) and the draft file with its notes
(`draft`)."""
