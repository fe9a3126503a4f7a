use std::path::Path;
use stressor::scenario::{LoadOptions, load_str};

#[test]
fn explore() {
    let d: usize = std::env::var("DEPTH").unwrap().parse().unwrap();
    let kind = std::env::var("KIND").unwrap();
    let text = match kind.as_str() {
        "seq" => format!(
            "file_version: stressor#0\ncontext:\n  x: {}{}\n",
            "[".repeat(d),
            "]".repeat(d)
        ),
        "map" => format!(
            "file_version: stressor#0\ncontext:\n  x: {}{}\n",
            "{a: ".repeat(d),
            "}".repeat(d)
        ),
        "dash" => format!("file_version: stressor#0\ncontext:\n  x:\n    {}x\n", "- ".repeat(d)),
        _ => {
            let mut b = String::from("file_version: stressor#0\ncontext:\n");
            for i in 0..d {
                b.push_str(&" ".repeat(i + 1));
                b.push_str("k:\n");
            }
            b
        }
    };
    let l = load_str(Path::new("x.yaml"), text, &LoadOptions::default());
    eprintln!("{}", l.render(false).lines().next().unwrap_or(""));
}
