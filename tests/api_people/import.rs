//! `kinerja import officers`, through the library function (not the binary).

use kinerja::app::Meta;
use kinerja::cli::import::{ImportOptions, import_officers};
use kinerja::domain::{Actor, ActorId, Role};

use crate::fixture::{Env, ME};

fn meta() -> Meta {
    Meta {
        actor: Some(Actor {
            id: ActorId::Staff("cli:test".into()),
            role: Role::Admin,
        }),
        ..Meta::default()
    }
}

const FILE: &str = "\
nip,nama,pangkat_golongan,jabatan,jenis_jabatan,jenjang,unit,jenis_pegawai
199203042020121001,Nurul Husna,\"Penata Muda, III/a\",Pranata Komputer,FUNGSIONAL,Ahli Pertama,DISKOMINFO,PNS
19920304202012100X,Salah Nip,\"Penata Muda, III/a\",Staf,PELAKSANA,,DISKOMINFO,PNS
199405062021012002,Rahmah,\"Pengatur, II/c\",Staf,PELAKSANA,,DISKOMINFO,PPPK
199507082022031001,Unit Salah,\"Pengatur, II/c\",Staf,PELAKSANA,,DINAS-ENTAH,PNS
199609102023041002,Cut\u{202E}Bidi,\"Pengatur, II/c\",Staf,PELAKSANA,,DISKOMINFO,PNS
199203042020121001,Ganda,\"Penata Muda, III/a\",Staf,PELAKSANA,,DISKOMINFO,PNS
199711122024051001,Fungsional Tanpa Jenjang,\"Pengatur, II/c\",Analis,FUNGSIONAL,,DISKOMINFO,PNS
198503142010011002,Sudah Ada,\"Penata, III/c\",Staf,PELAKSANA,,DISKOMINFO,PNS
199812012025061001,Jenis Salah,\"Pengatur, II/c\",Staf,PELAKSANA,,DISKOMINFO,HONORER
";

pub async fn a_file_with_a_bad_row_imports_nothing_and_names_the_line(env: Env) {
    let _w = env.world().await;
    let head = env.head().await;
    let report = import_officers(
        env.app(),
        FILE.as_bytes(),
        ImportOptions::default(),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(env.head().await, head, "nothing imported");
    assert_eq!(report.rows, 9);
    assert_eq!(report.imported, 0);
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 5, 6, 7, 8, 9, 10], "{:#?}", report.errors);
    let text: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert!(
        text[0].starts_with("baris 3 (NIP 19920304202012100X)"),
        "{}",
        text[0]
    );
    assert!(text[0].contains("18 digit"), "{}", text[0]);
    assert!(text[1].contains("Unit"), "{}", text[1]);
    assert!(text[2].contains("U+202E"), "{}", text[2]);
    assert!(text[3].contains("baris 2"), "{}", text[3]);
    assert!(text[4].contains("jenjang"), "{}", text[4]);
    assert!(text[6].contains("PNS atau PPPK"), "{}", text[6]);
    assert!(report.summary().contains("tidak ada yang diimpor"));
    // A file without a needed column is refused as a whole.
    let err = import_officers(
        env.app(),
        "nip,nama\n199203042020121001,X\n".as_bytes(),
        ImportOptions::default(),
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("pangkat_golongan"), "{err}");
    assert_eq!(env.head().await, head);
}

pub async fn skip_invalid_imports_the_good_rows(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    let report = import_officers(
        env.app(),
        FILE.as_bytes(),
        ImportOptions {
            skip_invalid: true,
            progress: false,
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2, "{:#?}", report.errors);
    assert_eq!(report.errors.len(), 7);
    assert_eq!(env.head().await, head + 2);
    let a = env.get("/officers/199203042020121001", &w.admin).await;
    a.expect(200);
    assert_eq!(a.body["post"]["kind"]["level"], "AHLI_PERTAMA");
    assert_eq!(a.body["golongan"], "Penata Muda, III/a");
    let b = env.get("/officers/199405062021012002", &w.admin).await;
    assert_eq!(b.body["employment"], "PPPK");
    // The imported events carry the importer as actor, like an API call would.
    let events = env
        .app()
        .read_stream(&kinerja::store::StreamId::parse("officer-199405062021012002").unwrap())
        .await
        .unwrap();
    assert_eq!(events[0].metadata_json()["actor"], "cli:test");
    // Importing again registers nobody twice.
    let again = import_officers(
        env.app(),
        FILE.as_bytes(),
        ImportOptions {
            skip_invalid: true,
            progress: false,
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(env.head().await, head + 2);
    let _ = ME;
}
