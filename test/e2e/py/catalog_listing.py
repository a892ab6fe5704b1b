"""Lists the REST catalog through PyIceberg: all namespaces, plus each table of one namespace with its column names.

usage: catalog_listing.py [--namespace NS] [catalog args, see stack_catalog.catalog_arguments]
prints: {"namespaces": [["a"], ...], "tables": {"t": {"columns": [...], "metadata_location": "s3://..."}}}
"""

from stack_catalog import catalog_from_args, emit, main_args


def main() -> None:
    parser = main_args(description=__doc__)
    parser.add_argument("--namespace")
    args = parser.parse_args()
    catalog = catalog_from_args(args)
    tables = {}
    if args.namespace:
        for identifier in catalog.list_tables(args.namespace):
            # Loading reads metadata.json from the bucket: proves PyIceberg's S3 access works too.
            table = catalog.load_table(identifier)
            tables[identifier[-1]] = {
                "columns": [field.name for field in table.schema().fields],
                "metadata_location": table.metadata_location,
            }
    emit({"namespaces": [list(namespace) for namespace in catalog.list_namespaces()], "tables": tables})


if __name__ == "__main__":
    main()
