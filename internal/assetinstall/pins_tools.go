package assetinstall

// toolsPackage is @electric-sql/pglite-tools, whose pg_dump.wasm (PostgreSQL 18.3's pg_dump,
// built for PGlite 0.5.x: 0.4.8 is the newest release, made against PGlite 0.5.8) is kept
// as tools/pg_dump.wasm for `pglited dump` and Server.Dump. Its JavaScript glue is not kept;
// the layout it encodes is in internal/pgdump.
var toolsPackage = Package{
	Name: "@electric-sql/pglite-tools", Version: "0.4.8",
	Sum: "554b62bf6c21100b23151631dab1fef365b85e645ed61c8d0788b8a2f73b4468",
	Files: []File{
		{From: "package/dist/pg_dump.wasm", To: "tools/pg_dump.wasm", Sum: "cdbc551ec339cc9867003203bc8f03911858be2be92b3e88376922b09ccdf58c"},
	},
}
