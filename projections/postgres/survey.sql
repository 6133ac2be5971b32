-- The `survey` projection (disposable): the public-satisfaction survey (SKM) per unit and year,
-- as sums per period and service (never the answers themselves), and the single-use codes.
create table if not exists rm_survey (
    k text primary key,        -- {unit}/{year}
    unit text not null,
    year bigint not null,
    doc text not null          -- weights, per (period, service) counts and element sums, actions
);
create index if not exists rm_survey_year on rm_survey (year);
create table if not exists rm_survey_code (
    k text primary key,        -- {survey stream}/{code digest}
    doc text not null          -- period and service of the code, whether it was used
);
