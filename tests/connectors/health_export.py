"""A generator of realistic Apple Health ``export.xml`` files (for the tests and the memory benchmark)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_GB">
 <ExportDate value="2024-02-01 09:00:00 +0000"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-05-04"
  HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
"""


def _sample(out: TextIO, kind: str, device: str, unit: str, start: str, end: str, value: str) -> None:
    out.write(
        f' <Record type="{kind}" sourceName="{device}" sourceVersion="17.2" unit="{unit}" '
        f'creationDate="{end}" startDate="{start}" endDate="{end}" value="{value}">\n'
        '  <MetadataEntry key="HKMetadataKeyTimeZone" value="Europe/London"/>\n </Record>\n'
    )


def write_day(out: TextIO, day: date, *, samples_per_hour: int = 1) -> None:
    d = day.isoformat()
    for hour in range(8, 20):
        for n in range(samples_per_hour):
            minute = n * 60 // samples_per_hour
            start, end = f"{d} {hour:02d}:{minute:02d}:00 +0000", f"{d} {hour:02d}:{minute:02d}:59 +0000"
            per = 500 // samples_per_hour
            _sample(out, "HKQuantityTypeIdentifierStepCount", "Sam's iPhone", "count", start, end, str(per))
            _sample(out, "HKQuantityTypeIdentifierStepCount", "Sam's Apple Watch", "count", start, end, str(per + 10))
            _sample(out, "HKQuantityTypeIdentifierHeartRate", "Sam's Apple Watch", "count/min", start, end, "72")
    prev = (day - timedelta(days=1)).isoformat()
    _sample(
        out,
        "HKCategoryTypeIdentifierSleepAnalysis",
        "Sam's Apple Watch",
        "",
        f"{prev} 23:30:00 +0000",
        f"{d} 03:00:00 +0000",
        "HKCategoryValueSleepAnalysisAsleepCore",
    )
    _sample(
        out,
        "HKCategoryTypeIdentifierSleepAnalysis",
        "Sam's Apple Watch",
        "",
        f"{d} 03:00:00 +0000",
        f"{d} 06:42:00 +0000",
        "HKCategoryValueSleepAnalysisAsleepDeep",
    )
    _sample(
        out,
        "HKCategoryTypeIdentifierSleepAnalysis",
        "Sam's iPhone",
        "",
        f"{prev} 23:00:00 +0000",
        f"{d} 07:00:00 +0000",
        "HKCategoryValueSleepAnalysisInBed",
    )
    _sample(
        out,
        "HKQuantityTypeIdentifierRestingHeartRate",
        "Sam's Apple Watch",
        "count/min",
        f"{d} 00:00:00 +0000",
        f"{d} 23:59:00 +0000",
        "58",
    )


def write_workout(out: TextIO, day: date) -> None:
    d = day.isoformat()
    out.write(
        f' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="32.5" durationUnit="min" '
        f'totalDistance="5.2" totalDistanceUnit="km" totalEnergyBurned="310" totalEnergyBurnedUnit="kcal" '
        f'sourceName="Sam\'s Apple Watch" startDate="{d} 07:10:00 +0000" endDate="{d} 07:42:30 +0000">\n'
        f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{d} 07:10:00 +0000" duration="10" '
        'durationUnit="min"/>\n'
        " </Workout>\n"
    )


def write_export(path: Path, *, days: int = 3, first: date = date(2024, 1, 18), samples_per_hour: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(days):
            day = first + timedelta(days=i)
            write_day(out, day, samples_per_hour=samples_per_hour)
            if i % 2 == 1:
                write_workout(out, day)
        out.write("</HealthData>\n")
    return path
