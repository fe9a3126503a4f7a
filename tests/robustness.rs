mod common;
use common::{headers, load_with};
use std::path::Path;
use stressor::scenario::{LoadOptions, load_str};

fn show(name: &str, files: &[(&str, &str)]) {
    let t = std::time::Instant::now();
    let (dir, loaded) = load_with(files, &LoadOptions::default());
    eprintln!("== {name} ({:?}) scenario={} {:#?}", t.elapsed(), loaded.scenario.is_some(), headers(&loaded, dir.path()));
}

#[test]
fn explore() {
    std::thread::Builder::new().stack_size(8 << 20).spawn(|| {
    let flow = format!("file_version: stressor#0\ncontext:\n  x: {}{}\n", "[".repeat(10000), "]".repeat(10000));
    show("flow", &[("s.yaml", &flow)]);
    let flowmap = format!("file_version: stressor#0\ncontext:\n  x: {}{}\n", "{a: ".repeat(10000), "}".repeat(10000));
    show("flowmap", &[("s.yaml", &flowmap)]);
    let dash = format!("file_version: stressor#0\ncontext:\n  x:\n    {}x\n", "- ".repeat(10000));
    show("dash", &[("s.yaml", &dash)]);
    let mut block = String::from("file_version: stressor#0\ncontext:\n");
    for i in 0..10000 { block.push_str(&" ".repeat(i + 1)); block.push_str("k:\n"); }
    let t = std::time::Instant::now();
    let l = load_str(Path::new("block.yaml"), block, &LoadOptions::default());
    eprintln!("== block {:?} {}", t.elapsed(), l.render(false));
    let mut bomb = String::from("file_version: stressor#0\ncontext:\n");
    bomb.push_str("  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for w in "abcdefghij".as_bytes().windows(2) {
        let (p, n) = (w[0] as char, w[1] as char);
        let refs = vec![format!("*{p}"); 10].join(",");
        bomb.push_str(&format!("  {n}: &{n} [{refs}]\n"));
    }
    show("bomb", &[("s.yaml", &bomb)]);
    show("empty", &[("s.yaml", "")]);
    show("comments", &[("s.yaml", "# just a comment\n# another\n")]);
    show("dashes", &[("s.yaml", "---\n")]);
    show("scalar", &[("s.yaml", "hello\n")]);
    show("ctrl", &[("s.yaml", "\u{1}\u{2}\u{7f}\u{0}\u{1b}[31m\u{8}\u{c}")]);
    show("cycle", &[("self.yaml", "file_version: stressor#0\nconfig:\n  base_url: http://x\ncontext:\n  x: $load(self.yaml)\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: Sleep\n      duration: 0\n")]);
    let tail = "scenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: Sleep\n      duration: 0\n";
    let big = format!("file_version: stressor#0\ncontext:\n  big: {}\n{tail}", "x".repeat(1 << 20));
    show("bigstr", &[("s.yaml", &big)]);
    for n in [1000, 5000, 20000] {
        let items = vec!["1"; n].join(",");
        let s = format!("file_version: stressor#0\ncontext:\n  list: [{items}]\n{tail}");
        show(&format!("longline{n}"), &[("s.yaml", &s)]);
    }
    }).unwrap().join().unwrap();
}
