//! Acehnese and Indonesian names, titles and golongan for the demo city.

use rand::Rng;
use rand::rngs::StdRng;

use crate::domain::values::{EmploymentType, PositionKind};

const MALE: &[&str] = &[
    "Teuku Muhammad",
    "Muhammad",
    "Teuku Rizal",
    "Said",
    "Zulfikar",
    "Fadhil",
    "Mukhlis",
    "Iskandar",
    "Nasruddin",
    "Hasballah",
    "Razali",
    "Mahyuddin",
    "Taufik",
    "Rahmat",
    "Budi",
    "Agus",
    "Andi",
    "Dedi",
    "Hendra",
    "Khairul",
    "Marzuki",
    "Saifullah",
    "Syahrul",
    "Yusri",
];
const FEMALE: &[&str] = &[
    "Cut Nyak",
    "Cut Meutia",
    "Nurul",
    "Siti",
    "Rahmawati",
    "Fitriani",
    "Nurhayati",
    "Yusnidar",
    "Rosmiati",
    "Dewi",
    "Sri Wahyuni",
    "Maulida",
    "Intan",
    "Zahratul",
    "Khairunnisa",
    "Ratna",
    "Putri",
    "Ayu",
    "Mutia",
    "Nurdiana",
];
const FAMILY: &[&str] = &[
    "Abdullah",
    "Ibrahim",
    "Ismail",
    "Hasan",
    "Yusuf",
    "Daud",
    "Usman",
    "Harun",
    "Syamsuddin",
    "Ali",
    "Basyah",
    "Mahmud",
    "Umar",
    "Zainal",
    "Sulaiman",
    "Saputra",
    "Lestari",
    "Pratama",
    "Hidayat",
    "Nasution",
    "Harahap",
    "Siregar",
    "Wibowo",
];

/// Pengawas titles.
pub const PENGAWAS: &[&str] = &[
    "Kepala Sub Bagian Umum dan Kepegawaian",
    "Kepala Sub Bagian Keuangan",
    "Kepala Sub Bagian Perencanaan",
    "Kepala Seksi Pelayanan",
    "Kepala Seksi Data dan Informasi",
];

/// Pelaksana titles.
pub const PELAKSANA: &[&str] = &[
    "Pengadministrasi Umum",
    "Pengelola Data",
    "Pengadministrasi Keuangan",
    "Pengelola Layanan Kepegawaian",
    "Operator Layanan Operasional",
];

/// A full name with a degree that fits the post.
pub fn person(rng: &mut StdRng, female: bool, kind: PositionKind) -> String {
    let given = if female { FEMALE } else { MALE };
    let first = given[rng.gen_range(0..given.len())];
    let last = FAMILY[rng.gen_range(0..FAMILY.len())];
    let degree = match kind {
        PositionKind::Jpt => ", S.STP., M.Si.",
        PositionKind::Administrator => ", S.E., M.M.",
        PositionKind::Pengawas => ", S.Sos.",
        PositionKind::Fungsional(_) => {
            [", S.Pd.", ", S.Kep.", ", Amd.Keb.", ", S.Kom."][rng.gen_range(0..4)]
        }
        PositionKind::Pelaksana => ["", ", A.Md.", ", S.E."][rng.gen_range(0..3)],
    };
    format!("{first} {last}{degree}")
}

/// Pangkat/golongan (PNS) or the PPPK grade.
pub fn golongan(rng: &mut StdRng, kind: PositionKind, employment: EmploymentType) -> String {
    if employment == EmploymentType::Pppk {
        return ["V", "VII", "IX", "X"][rng.gen_range(0..4)].to_string();
    }
    let options: &[&str] = match kind {
        PositionKind::Jpt => &["Pembina Utama Muda, IV/c", "Pembina Tingkat I, IV/b"],
        PositionKind::Administrator => &["Pembina, IV/a", "Pembina Tingkat I, IV/b"],
        PositionKind::Pengawas => &["Penata Tingkat I, III/d", "Pembina, IV/a"],
        PositionKind::Fungsional(_) => &["Penata Muda, III/a", "Penata, III/c", "Pembina, IV/a"],
        PositionKind::Pelaksana => &[
            "Pengatur, II/c",
            "Penata Muda, III/a",
            "Pengatur Tingkat I, II/d",
        ],
    };
    options[rng.gen_range(0..options.len())].to_string()
}
