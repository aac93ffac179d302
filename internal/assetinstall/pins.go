package assetinstall

// The pinned PGlite release: every npm package the assets come from, with the sha256 of the
// tarball `npm pack` writes and of each file kept from it. This is the only place the pins
// live; `make assets`, cmd/pglite-assets and the library's first-use fetch all read them.

// Version is the PGlite release the pins name.
const Version = "0.5.16"

// marker is written into an install's .complete file. Bump it when the set of kept files
// changes, so that an older folder is installed again instead of being taken as complete.
const marker = "3"

// mainPackage is the PGlite package, with the sha256 of its tarball.
var mainPackage = [2]string{"@electric-sql/pglite", "04e3a275aa4f7663d94ec06fcf1288379c23845a3cd09decf474b424b1ee5c7c"}

// coreFiles are kept from the main package's dist/ at the top of the assets folder.
var coreFiles = [][2]string{
	{"pglite.wasm", "5256d9ac379f631355f41ab30291e6a6d9f854242b5ee2a2d0940e28041d3fca"},
	{"pglite.data", "d73cf4ba1b0bf92f80f088ce7d23b17f9bc175327d7584ec2a713b27e9758c31"},
	{"initdb.wasm", "63d8b9d54110f827711545a338a643621e65b5658f09e1acfcf36073be365ce2"},
	{"pglite.js", "b4ee8cc358344c9e495a57b4301938178bec1a2c6d6fad10cd600f5f8632b2a0"},
}

// contribBundles are the main package's dist/<name>.tar.gz, kept as contrib/<name>.tar.gz.
var contribBundles = [][2]string{
	{"amcheck", "e88e630f083d3f7185f3ec6c475d80fa3e262ec075d7df5a0bb528b962721117"},
	{"auto_explain", "edd0432d6e285184e54d726ee329b5d5aab7957718b649b6522288b5e05c5d7a"},
	{"bloom", "7a133406882e754396ee590aff4843e10958acc6eb5c7bfd4dc0163df68c2089"},
	{"btree_gin", "15968b2b912ddb281777514eb307dba9d2eafbc39842e7784c8dd96ad5fbbc7c"},
	{"btree_gist", "b8c8798d4567c4b44da72f80c5570ae552d8ede9291407ef1caee6c8b5a102cd"},
	{"citext", "9d7f941efc5d3b17d4855086512c6a3dae74ff7380402c00f9b81078da89449e"},
	{"cube", "34e77fe63a67bfe68d0a0612b93a5a411b70cee6f448ec48ad740c4a162e6ed6"},
	{"dict_int", "81bcc2b7a13203dfd54313370e45fb5728ad5d585918200e9ae1c0e0ec741f46"},
	{"dict_xsyn", "19dfa7b6e28a82486d09d051fae56789b7ce714ecfd0f3fcc047af1bd520be7c"},
	{"earthdistance", "55e5e82beb0a3d17b101b38bad9de1c95fed563a6f6ab9093f785e9a03374957"},
	{"file_fdw", "24a46da7298c84e2a6b6b5457496f85819382feab82619ac775fd2ca7596f82e"},
	{"fuzzystrmatch", "540ff999899ede69dc583b53db39c86b87222ca32f6dcb35baa2b05bfdd39ee0"},
	{"hstore", "da769acee3df200a789fa0fd06020ba339201c2377761a6f911b2ff988bf2b5a"},
	{"intarray", "75dc6e1a5ebf83c50645fd15fadeea245a9ff7c58b78733506c36d27abc3ecb0"},
	{"isn", "ec8eb08a1085c4e0dcd909fd79f418df32761eea9345f5fa5bb4a9a2690a9aa8"},
	{"lo", "b2c57c1000a9107f49874877a3731867a203a7c755d2bf74122f2f67935ea7bf"},
	{"ltree", "8020bc902e5a26933cdd0e5454ae825c72d3674359892abcb45702c7f7874187"},
	{"pageinspect", "2b2a0b287b125d7f303c52f13acbc4c219b602f39570cb38607b27a72ae6f225"},
	{"passwordcheck", "cbc1d0a14eec8256f60b2138e6bdbaeee8950d6e65508bad198b272617b25c85"},
	{"pg_buffercache", "945d67698f50bf75952c8ebae6afbf70ca8ada31ee1c0ecbbf042a75f3788be7"},
	{"pg_freespacemap", "654a6899a7a70bd5cf0e53e7b3dffdc165e98695379601d3b6fe68543ed444d8"},
	{"pg_logicalinspect", "2cbee704ba5d8b6adbd65afbcc07f2cd1eecb458d63c07380fbec83822c23131"},
	{"pg_overexplain", "cc618dd9090c7eb84d94225eec881a45bb681b89d2cd5283525010e095a95575"},
	{"pg_stat_statements", "8664839b1103fefe95d4fa9bfee1823866332a35eb3886612949c57bad5d9e91"},
	{"pg_surgery", "1c42907bbd7670e2d21af998ec914dc160b8380b787e2e2113903813c5f28af1"},
	{"pg_trgm", "ccbf37e10d84ad5a4b93783d3d74f9217dc656c162801093cdf4f33843f71bf7"},
	{"pg_visibility", "55664a7f243cf56bb9b615a3d381ea9723dabccc862d2defe522f6209ec31582"},
	{"pg_walinspect", "d7ec618827791957e8558a1502f1014450f21b1c4d9c56c4850ce0231dd6dbef"},
	{"pgcrypto", "10da604dae5b3c3f1a25ef64ed406ee68b6a4850f80d07978b3fdb3f52c86c54"},
	{"seg", "4ff4c44b57e62508e71d7a77f2d61b48db3cd6214798184becef0ccd36a69d32"},
	{"spi", "7b30c34c498591b235cd3d80b379cba1941e457e6b7255cff8b190a6544f6794"},
	{"tablefunc", "f6293e2131245db898b4e5d91a5de5378f7ae65ebfca1452b17116363c695fa7"},
	{"tcn", "1deca4ae390fb462c184a8af30bfd06d23648f598b7155f44c863a44aea148ec"},
	{"tsm_system_rows", "835c8ccf1d785067d06c8418d6f86465ecd606ebe4b83bded5382182961e6d74"},
	{"tsm_system_time", "07b0bc29186af8727a8c6d692fe4b1ee332e5b57f13b95727d34779cd985956f"},
	{"unaccent", "3f36d0e09674ae9703f4959d0b5753ee634d195b02c1a0189fe0ce85a33fca33"},
	{"uuid-ossp", "af253f6a9bd01e3044b98cabec6b01b618b51c95e1b867bd676d528335527370"},
}

// extensionPackages are the extension packages: name, version, tarball sha256, and the one
// bundle each ships (dist/<bundle>.tar.gz, kept as extensions/<bundle>.tar.gz) with its sha256.
var extensionPackages = [][5]string{
	{"@electric-sql/pglite-pgvector", "0.0.15", "0a279b589956711b92a1b5d1fc13bd2f17c7dd8694c1d7011fd65b9d1198f7ed", "vector", "770cd826597c693a8ae5688b6b7beb0df5a593a1f482e48b84673954cbd69c13"},
	{"@electric-sql/pglite-age", "0.0.15", "97cc3dbf0767c3bdeb228be0d671d30529c695a4ec0bb4d8c3db4581b5d93c1a", "age", "07802702d313f4d690f058328ce85bfe6fc8110bae5821635bdf6a4a620bfe06"},
	{"@electric-sql/pglite-pg_ivm", "0.0.15", "4e200fa45894da5cbaa0d7aa623141949ce6d5606d957267db65c122111b79f5", "pg_ivm", "755b58ee42a9eed1c28b4c60b46665b8696b203e17d32b28cd502a8052bc8a78"},
	{"@electric-sql/pglite-pgtap", "0.0.15", "ac214c27e10987c6623bef2100f98fc8a9977ed7026ddaf4b763d159c3c1ea01", "pgtap", "1f221b4d7c59f58bb49d9d84c884c82cddc5389d75fc1d2db855a408774daf36"},
	{"@electric-sql/pglite-pg_uuidv7", "0.0.15", "911c2d7f2cd2cb299f79727721e845e7e187f9eb1a1ed8ce921cc62a8bc66cf8", "pg_uuidv7", "bb301748c125863505aad7cde53f5fd1b16497934461c1f4dfe21bae7c0ffc4c"},
	{"@electric-sql/pglite-pg_hashids", "0.0.15", "ba750e17879952ab526440ecb66c14e13e6510edbd5792cad4ab371e743ae9d0", "pg_hashids", "3d90da8586395c5afb2153db1a452a90e749f5ee284737ffdb8a253b55067f79"},
	{"@electric-sql/pglite-pg_textsearch", "0.0.16", "f4c4171ca440c71b600106918aa467a94b584690ea99365264c98a79b89425db", "pg_textsearch", "1b5e0ef070c3cf1e04e8f3093f1ff3aa95d0b45397ff6b8f352c0d2904800127"},
}

// Pinned is the pin set of this release.
var Pinned = buildPins()

func buildPins() *Pins {
	p := &Pins{Version: Version, Marker: marker}
	main := Package{Name: mainPackage[0], Version: Version, Sum: mainPackage[1]}
	for _, f := range coreFiles {
		main.Files = append(main.Files, File{From: "package/dist/" + f[0], To: f[0], Sum: f[1]})
	}
	for _, c := range contribBundles {
		main.Files = append(main.Files, File{From: "package/dist/" + c[0] + ".tar.gz", To: "contrib/" + c[0] + ".tar.gz", Sum: c[1]})
	}
	p.Packages = append(p.Packages, main)
	for _, e := range extensionPackages {
		p.Packages = append(p.Packages, Package{Name: e[0], Version: e[1], Sum: e[2],
			Files: []File{{From: "package/dist/" + e[3] + ".tar.gz", To: "extensions/" + e[3] + ".tar.gz", Sum: e[4]}}})
	}
	p.Packages = append(p.Packages, toolsPackage) // pins_tools.go
	return p
}
