"""The accessibility statement, in the form GOV.UK services publish one: how accessible the dashboard is, what is
known not to be, how it was tested, and how to report a problem."""

import streamlit as st

from dashboard import layout

layout.page_header(
    "Accessibility statement",
    f"This statement applies to the {layout.SERVICE_NAME}. We want as many people as possible to be able to use it. "
    "For example, that means you should be able to:",
)
st.markdown("""
- change colours, contrast levels and fonts using your browser or operating system
- reach every page, filter, table and download using just a keyboard
- read every chart as a sentence and as a table, with a screen reader or without one
- download the figures behind every chart, and the rows behind every figure, as CSV, Excel or Parquet

We have also made the text as simple as we can. Every chart uses a colour-blind-safe palette, and RAG status is
always written out in words as well as coloured.
""")

st.header("How accessible this dashboard is")
st.markdown("""
We know some parts are not fully accessible:

- the charts are drawn as graphics that screen readers cannot explore point by point; each one has a plain-English
  summary above it and a table of the same figures below it, which screen readers read in full
- the range slider for the period is easier to use with the arrow keys than with a mouse on a small screen
- the Great Expectations Data Docs, downloaded from the Data quality page, are a separate report we do not control
- we have not yet tested zooming to 400%, or the dashboard with screen readers (NVDA, JAWS, VoiceOver) and people
  who use them
""")

st.header("Feedback and contact information")
st.markdown("""
If you need information from this dashboard in a different format, such as a spreadsheet of a chart's figures,
use the download under that chart or the extract builder on the Data and downloads page. If you cannot, contact the
team that publishes the dashboard in your organisation, and say which page and which figures you need.
""")

st.header("Reporting accessibility problems with this dashboard")
st.markdown("""
We are always looking to improve the accessibility of this dashboard. If you find any problems not listed on this
page or think we are not meeting accessibility requirements, contact the team that publishes it.
""")

st.header("Enforcement procedure")
st.markdown("""
The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies (Websites and
Mobile Applications) (No. 2) Accessibility Regulations 2018 (the 'accessibility regulations'). If you are not happy
with how we respond to your complaint, contact the Equality Advisory and Support Service (EASS).
""")

st.header("Technical information about this dashboard's accessibility")
st.markdown("""
We are committed to making this dashboard accessible, in accordance with the Public Sector Bodies (Websites and
Mobile Applications) (No. 2) Accessibility Regulations 2018.

**Compliance status.** This dashboard is partially compliant with the Web Content Accessibility Guidelines version
2.2 AA standard, due to the non-compliances listed below.
""")

st.header("Non-accessible content")
st.markdown("""
The content listed below is non-accessible for the following reasons.

**Non-compliance with the accessibility regulations**

- Charts are images of data that a screen reader cannot explore (WCAG 2.2 success criterion 1.1.1, non-text
  content). Each chart's summary sentence and table give the same information.
- The Data Docs report from Great Expectations has not been tested to the same standard.
- Reflow at 400% zoom (1.4.10) and the experience with screen readers have not been tested yet.
""")

st.header("What we are doing to improve accessibility")
st.markdown("""
Every change to the dashboard is checked, before it is published, by automated tests that open every page in a real
browser (Chromium) and:

- run the axe-core accessibility engine against WCAG 2.2 AA on each page, as it first opens and with filters set, and
  fail on any serious or critical problem
- check that every chart has a heading, a summary sentence, a table and a download of its figures
- move through the pages, the filters and the downloads with the keyboard alone, checking that focus is visible
- check that each page has one main heading and a title that names it
""")

st.header("Preparation of this accessibility statement")
st.markdown("""
This statement was prepared on 25 November 2026. It was last reviewed on 25 November 2026.

This dashboard was last tested on 25 November 2026 against the WCAG 2.2 AA standard. The test was carried out by the
team that builds the dashboard, with the automated browser tests described above on every page, and by reviewing a
screenshot of every page.
""")
