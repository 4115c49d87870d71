from pydantic import BaseModel, ConfigDict, Field


class ClipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    clip_id: str
    title: str


class JobRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: str
    title: str


class JobDetail(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: str
    title: str
    clips: list[ClipOut]


class ResultsOut(BaseModel):
    job: str
    clips: list[ClipOut] = []
    transcript: str | None = None
    total_seconds: float = Field(ge=0)


class Excerpt(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    body: str = Field(validation_alias="text")
    language: str
    job: JobRef
