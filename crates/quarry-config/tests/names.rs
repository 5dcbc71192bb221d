use quarry_config::name_from_url;

#[test]
fn repository_names_from_clone_urls() {
    assert_eq!(
        name_from_url("https://git.example.com/team/app.git"),
        "git.example.com/team/app"
    );
    assert_eq!(
        name_from_url("git@git.example.com:team/app.git"),
        "git.example.com/team/app"
    );
    assert_eq!(name_from_url("http://127.0.0.1:8080/a/b"), "127.0.0.1/a/b");
    assert_eq!(name_from_url("https://user:secret@host/x.git"), "host/x");
    assert_eq!(name_from_url("https://host/x/"), "host/x");
}
