"""Staff records kept in line with the trust's staff list, and the personal data they hold.

Layers, each importing only from the layers below it: views (`views`, `subject_access_views`, `cli`) call
one service (`service.import_file` / `apply_import`, `subject_access.export`, `retention.anonymise`);
the staff import's rules need no database (`staff_columns`, `staff_csv`, `row_check`,
`email_check`, `cross_checks`, gathered by `importer.check_rows`); its set-based writes are
`import_units`, `import_people` and `import_roles`. `directory` is how anyone is found by email.
"""
