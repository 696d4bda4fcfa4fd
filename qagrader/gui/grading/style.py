"""Style sheet of the grading screen. Colours come from the palette (light and dark themes);
only the red of a failing answer and of the auto-fail banner is fixed."""

FAIL_RED = "#c62828"

STYLE = f"""
QLabel#title {{ font-size: 12pt; font-weight: 600; }}
QLabel#muted {{ color: palette(placeholder-text); }}
QLabel#sectionTitle {{
    font-weight: 600; margin-top: 8px; padding-bottom: 2px;
    border-bottom: 1px solid palette(mid);
}}
QLabel#skill {{
    color: palette(placeholder-text); font-size: 8.5pt;
    border: 1px solid palette(midlight); border-radius: 8px; padding: 1px 7px;
}}
QLabel#guideline {{
    background: palette(alternate-base); border-radius: 4px; padding: 6px 8px;
}}
QLabel#total {{ font-size: 20pt; font-weight: 600; }}
QLabel#total[failed="true"] {{ color: {FAIL_RED}; }}
QLabel#autoFail {{
    background: {FAIL_RED}; color: white; font-weight: 600;
    border-radius: 4px; padding: 6px 10px;
}}
QLabel#message {{ color: {FAIL_RED}; font-weight: 600; }}
QLabel#unsavedLabel {{ color: {FAIL_RED}; font-weight: 600; }}
QFrame#unsaved {{ background: #fff4ce; border: 1px solid #e0b400; border-radius: 4px; }}
QFrame#unsaved QLabel {{ color: #1a1a1a; }}
QFrame#changedElsewhere {{
    background: palette(alternate-base); border: 1px solid palette(highlight); border-radius: 4px;
}}
QLabel#badge {{
    border-radius: 9px; padding: 2px 10px; font-weight: 600;
    background: palette(midlight); color: palette(window-text);
}}
QLabel#badge[kind="draft"] {{ background: #f2c94c; color: #222; }}
QLabel#badge[kind="submitted"] {{ background: #27ae60; color: white; }}
QLabel#badge[kind="editing"] {{ background: #2f80ed; color: white; }}
QFrame#scorePanel {{
    background: palette(base); border: 1px solid palette(mid); border-radius: 6px;
}}
QFrame#question {{
    background: palette(base); border: 1px solid palette(mid); border-radius: 6px;
}}
QFrame#question QLineEdit {{
    border: 1px solid palette(mid); border-radius: 3px; padding: 2px 4px; background: palette(base);
}}
QFrame#question QLineEdit:focus {{ border-color: palette(highlight); }}
QFrame#question[answered="true"] {{ border-left: 4px solid #27ae60; }}
QFrame#question[current="true"] {{ border: 2px solid palette(highlight); }}
QPushButton[answer="true"] {{
    padding: 4px 12px; min-height: 20px;
    border: 1px solid palette(mid); border-radius: 4px; background: palette(button);
}}
QPushButton[answer="true"]:hover {{ border-color: palette(highlight); }}
QPushButton[answer="true"]:checked {{
    background: palette(highlight); color: palette(highlighted-text); border-color: palette(highlight);
}}
QPushButton[answer="true"][fail="true"]:checked {{
    background: {FAIL_RED}; color: white; border-color: {FAIL_RED};
}}
QPushButton[answer="true"]:disabled {{ color: palette(placeholder-text); }}
QPushButton[answer="true"]:checked:disabled {{
    background: palette(dark); color: palette(highlighted-text);
}}
"""
