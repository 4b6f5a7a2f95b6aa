"""Pure steps on files and text: no Prefect, no storage, no signing, no S3, no database."""
