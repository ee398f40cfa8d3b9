//! `rdptriage explain`: the explanation of a code (`diagnose::explain`, data) written for a
//! person, or as JSON.

use std::io::Write;

use crate::diagnose::explain::{Explanation, Reading, explain_code};

fn render_reading(out: &mut String, r: &Reading, indent: &str) {
    out.push_str(&format!(
        "{indent}{} = {} ({})\n{indent}  {} [{}]\n{indent}  {}\n",
        r.name, r.hex, r.value, r.table_title, r.source, r.meaning
    ));
    if let Some(a) = &r.read_as {
        out.push_str(&format!("{indent}  read as: {a}\n"));
    }
    if let Some(n) = r.note {
        out.push_str(&format!("{indent}  note: {n}\n"));
    }
}

/// The explanation for a person.
pub fn render_text(e: &Explanation) -> String {
    let mut out = String::new();
    let valued = e
        .events
        .iter()
        .find(|ev| ev.value_read_as.is_some())
        .zip(e.extended_input.as_deref());
    if e.readings.is_empty() && !e.events.is_empty() {
        out.push_str(&format!(
            "{} is no code: it is a Windows event id\n",
            e.input
        ));
    } else if e.readings.is_empty() {
        out.push_str(&format!("Code {}: in no code table\n", e.input));
    } else if let Some((ev, value)) = valued {
        out.push_str(&format!(
            "Event {} with value {value}, read as {}:\n",
            e.input,
            ev.value_read_as.unwrap_or_default()
        ));
        render_reading(&mut out, &e.readings[0], "  ");
    } else if e.readings.len() == 1 {
        out.push_str(&format!("Code {}:\n", e.input));
        render_reading(&mut out, &e.readings[0], "  ");
    } else {
        out.push_str(&format!(
            "Code {}: {} readings, most likely first:\n",
            e.input,
            e.readings.len()
        ));
        for (i, r) in e.readings.iter().enumerate() {
            out.push_str(&format!("  {}. ", i + 1));
            let mut one = String::new();
            render_reading(&mut one, r, "     ");
            out.push_str(one.trim_start());
        }
    }
    if let Some(x) = &e.extended_input
        && !e.extended.is_empty()
    {
        out.push_str(&format!("Extended code {x}:\n"));
        for r in &e.extended {
            render_reading(&mut out, r, "  ");
        }
    }
    for ev in &e.events {
        out.push_str(&format!(
            "Windows event {} ({}, `{}`):\n  {}\n",
            ev.id, ev.channel, ev.name, ev.meaning
        ));
    }
    for n in &e.notes {
        out.push_str(&format!("\nNote: {n}\n"));
    }
    if e.causes.is_empty() {
        out.push_str("\nNo candidate causes among those rdptriage knows: not a failure, or a problem inside the client.\n");
    } else {
        out.push_str(
            "\nCandidate causes, most likely first (the code alone proves none of them):\n",
        );
        for c in &e.causes {
            out.push_str(&format!(
                "  {}. {} — {}\n     tell it apart by:\n       capture: {}\n       events:  {}\n     fix, once proven: {}\n",
                c.rank, c.cause.id, c.cause.title, c.cause.capture, c.cause.events, c.cause.fix
            ));
        }
    }
    if !e.collect_next.is_empty() {
        out.push_str("\nCollect next:\n");
        for c in &e.collect_next {
            out.push_str(&format!("  - {c}\n"));
        }
    }
    out
}

/// `rdptriage explain`: writes the explanation (text or JSON) and returns the exit status:
/// 0 when the code is known, 2 when it is not (with a message on stderr).
pub fn explain(code: &str, extended: Option<&str>, json: bool) -> u8 {
    let e = match explain_code(code, extended) {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("rdptriage: {msg}");
            // JSON readers always get an object.
            if json {
                let _ = writeln!(
                    std::io::stdout(),
                    "{}",
                    serde_json::json!({"input": code, "extended_input": extended, "error": msg})
                );
            }
            return 2;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut stdout, &e)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(stdout))
    } else {
        stdout.write_all(render_text(&e).as_bytes())
    };
    if let Err(err) = written
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("rdptriage: cannot write: {err}");
    }
    0
}

/// The checklists of a report's findings (those `analyze --dialog` gave one), for a person.
pub fn render_checked(report: &super::Report) -> String {
    let checked: Vec<(usize, &crate::diagnose::Finding)> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.dialog.is_some())
        .collect();
    let mut out = format!(
        "\nChecked against the inputs given: {}\n",
        super::story::headline(report)
    );
    if checked.is_empty() {
        out.push_str("  no failed connection or client error to check the code against.\n");
    }
    for (n, f) in checked {
        out.push_str(&format!(
            "  finding {} [{} {}]: {}\n",
            n + 1,
            f.severity,
            f.cause,
            super::text::neutral(&f.summary)
        ));
        for c in f.dialog.iter().flat_map(|d| &d.checks) {
            let word = match c.check {
                crate::model::Check::Proven => "proven",
                crate::model::Check::StillPossible => "still possible",
                crate::model::Check::RuledOut => "ruled out",
            };
            out.push_str(&format!(
                "    {word:<15}{}: {}\n",
                c.label,
                super::text::neutral(&c.because)
            ));
        }
    }
    out
}

/// `rdptriage explain CODE [EXTENDED] --with PATH…`: the explanation, then each finding's
/// checklist of the code against the inputs; in JSON, the explanation's object with
/// `checked` (each finding's cause, summary and checklist). Exit status as [`explain`].
pub fn explain_checked(
    code: &str,
    extended: Option<&str>,
    json: bool,
    report: &super::Report,
) -> u8 {
    let e = match explain_code(code, extended) {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("rdptriage: {msg}");
            return 2;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let written = if json {
        let mut v = serde_json::to_value(&e).unwrap_or_default();
        let checked: Vec<serde_json::Value> = report
            .findings
            .iter()
            .filter(|f| f.dialog.is_some())
            .map(|f| {
                serde_json::json!({
                    "cause": f.cause, "summary": f.summary, "server": f.server,
                    "connections": f.connections, "events": f.events, "dialog": f.dialog,
                })
            })
            .collect();
        if let Some(o) = v.as_object_mut() {
            o.insert("checked".into(), checked.into());
        }
        serde_json::to_writer_pretty(&mut stdout, &v)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(stdout))
    } else {
        stdout.write_all((render_text(&e) + &render_checked(report)).as_bytes())
    };
    if let Err(err) = written
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("rdptriage: cannot write: {err}");
    }
    0
}
