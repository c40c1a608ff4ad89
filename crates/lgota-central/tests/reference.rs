mod common;

use common::*;
use lgota_central::service::{self, Actor};
use lgota_central::store::{prelude::*, ReferenceName};
use lgota_protocol::PullResponse;
use serde_json::json;

async fn pull(s: &Server, token: &str, query: &str) -> PullResponse {
    let response = s.client.get(s.url(&format!("/api/v1/reference{query}"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn reference_and_events_come_only_when_newer() {
    let s = start().await;
    let token = s.enroll("dev-a", BRANCH).await;
    let db = s.db.as_ref();

    // Only the bundled configuration (version 1) is published: a phone that has it gets nothing.
    let p = pull(&s, &token, "?config_version=1&content_version=1&events_cursor=0").await;
    assert!(p.server.is_some(), "protocol 2 names the server");
    assert_eq!(PullResponse { server: None, ..p }, PullResponse { events_cursor: 0, ..PullResponse::default() });
    let p = pull(&s, &token, "").await;
    assert_eq!(p.config.unwrap()["version"], 1, "a phone with nothing gets the bundled configuration");

    let mut config = serde_json::to_value(lgota_domain::Config::bundled()).unwrap();
    config["version"] = 2.into();
    assert_eq!(service::reference::publish_config(db, &config.to_string()).unwrap(), 2);
    let again = service::reference::publish_config(db, &config.to_string()).unwrap_err();
    assert_eq!((again.code, again.message.contains('2')), (lgota_protocol::codes::VERSION_NOT_NEWER, true));
    // What a phone would refuse is refused here: an unknown document, a duplicate branch.
    let mut broken = config.clone();
    broken["version"] = 3.into();
    broken["categories"][0]["document_type_ids"] = json!(["nope"]);
    assert!(service::reference::publish_config(db, &broken.to_string()).unwrap_err().to_string().contains("nope"));
    // An id that could not travel in a record (every phone's records naming it would be refused):
    // refused at publication, as the CLI's `reference config` and the dashboard publish.
    for bad in ["пенсионер-2", "large family", ""] {
        let mut cyrillic = config.clone();
        cyrillic["version"] = 3.into();
        cyrillic["categories"][0]["id"] = bad.into();
        let err = service::reference::publish_config(db, &cyrillic.to_string()).unwrap_err().to_string();
        assert!(err.contains("недопустимый код"), "{bad}: {err}");
    }
    assert_eq!(db.reference(ReferenceName::Config).unwrap().unwrap().0, 2, "nothing published");

    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let keys = [trusted("office", &key)];
    let envelope: serde_json::Value = serde_json::from_str(&signed_pack(3, "office", &key)).unwrap();
    assert_eq!(service::content::publish(db, &envelope.to_string(), &keys).unwrap().version, 3);
    let again = service::content::publish(db, &envelope.to_string(), &keys).unwrap_err();
    assert!(again.to_string().contains("не новее"), "{again}");
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
    assert!(service::content::publish(db, &signed_pack(4, "office", &stranger), &keys).is_err(), "bad signature");
    let unsigned = json!({"key_id": "office", "payload": json!({"version": 9}).to_string()});
    assert!(service::content::publish(db, &unsigned.to_string(), &keys).is_err());

    let e1 = service::events::add(db, &Actor::cli(), BRANCH, "Вечер поэзии", "2026-03-01").unwrap();
    service::events::add(db, &Actor::cli(), "central", "Другой филиал", "2026-03-02").unwrap();
    let e2 = service::events::add(db, &Actor::cli(), BRANCH, "Лекция", "2026-03-03").unwrap();
    assert!(service::events::add(db, &Actor::cli(), BRANCH, "Плохая дата", "01/03/2026").is_err());
    assert!(service::events::add(db, &Actor::cli(), BRANCH, "Плохая дата", "31.02.2026").is_err());
    // Typed the Russian way: phones get it as YYYY-MM-DD.
    assert_eq!(
        service::events::add(db, &Actor::cli(), "central", "По-русски", "05.03.2026").unwrap().date,
        "2026-03-05"
    );
    assert!(
        service::events::add(db, &Actor::cli(), BRANCH, "Нет такого дня", "2026-02-30").is_err(),
        "phones would refuse it"
    );
    assert!(
        service::events::add(db, &Actor::cli(), BRANCH, "Звонить +7 912 345-67-89", "2026-03-03").is_err(),
        "personal data"
    );
    assert!(service::events::add(db, &Actor::cli(), "nowhere", "Нет филиала", "2026-03-03").is_err());

    let p = pull(&s, &token, "?config_version=1&content_version=1&events_cursor=0").await;
    assert_eq!(p.config, Some(config.clone()));
    assert_eq!(p.content, Some(envelope.clone()));
    assert_eq!(p.events, vec![e1, e2.clone()], "own branch only, oldest first");
    let cursor = p.events_cursor;
    assert!(cursor > 0);

    let p = pull(&s, &token, &format!("?config_version=2&content_version=3&events_cursor={cursor}")).await;
    assert_eq!(PullResponse { server: None, ..p }, PullResponse { events_cursor: cursor, ..PullResponse::default() });

    let e3 = service::events::add(db, &Actor::cli(), BRANCH, "Мастер-класс", "2026-03-04").unwrap();
    let p = pull(&s, &token, &format!("?config_version=2&content_version=3&events_cursor={cursor}")).await;
    assert_eq!(p.events, vec![e3]);
    assert!(p.events_cursor > cursor);
    let p = pull(&s, &token, &format!("?config_version=5&content_version=5&events_cursor={cursor}")).await;
    assert_eq!((p.config, p.content), (None, None));

    for bad in ["?config_version=abc", "?events_cursor=1.5", "?config_version=-1", "?surprise=1"] {
        let response =
            s.client.get(s.url(&format!("/api/v1/reference{bad}"))).bearer_auth(&token).send().await.unwrap();
        expect_error(response, 400, "invalid_request").await;
    }
}
