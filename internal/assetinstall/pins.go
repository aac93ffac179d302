package assetinstall

// The pinned PGlite release: every npm package the assets come from, with the sha256 of the
// tarball `npm pack` writes and of each file kept from it. This is the only place the pins
// live; `make assets`, cmd/pglite-assets and the library's first-use fetch all read them.

// Version is the PGlite release the pins name.
const Version = "0.5.17"

// marker is written into an install's .complete file. Bump it when the set of kept files
// changes, so that an older folder is installed again instead of being taken as complete.
const marker = "3"

// mainPackage is the PGlite package, with the sha256 of its tarball.
var mainPackage = [2]string{"@electric-sql/pglite", "132272b9aab15c88a6643af74a0e6e739f2fe85fe11dcb8610d7560692199259"}

// coreFiles are kept from the main package's dist/ at the top of the assets folder.
var coreFiles = [][2]string{
	{"pglite.wasm", "2a5dccbcdf80f54ef9c6333732251e176ffbcbdba59d63c01501263611a053ea"},
	{"pglite.data", "e65074d978d05ac408d5aa157930d4fd458879fdd62ba85d8a9e885b933de8fa"},
	{"initdb.wasm", "0aac6ef715908003eb53fb354f603e7a5e8aa72ab48018633565f889f42335c1"},
	{"pglite.js", "b9e7dbee6de623b65c64268ec7651102f8e6a0845f89d41bd5771b94a22eb427"},
}

// contribBundles are the main package's dist/<name>.tar.gz, kept as contrib/<name>.tar.gz.
var contribBundles = [][2]string{
	{"amcheck", "684b9d92587a53a6c2d383a95828d168b1a316206f2ed14ed077b98aa7acfe5b"},
	{"auto_explain", "4c833980a4c9ba047f76c73bbd45e583fe1249b6d0de75629f190ce8dfffb75f"},
	{"bloom", "49f97dfee305bdc9620e888945d5d9ddff490432e7ec3e65f6273341ab3bfea8"},
	{"btree_gin", "17b83a1cd9537e5883bcf3e818df3af128cc9840c1071d47450387cc1c51022c"},
	{"btree_gist", "8935292851a344ccf355b73079bd6d14fe5017667055fca4833e79440aee837b"},
	{"citext", "c46e795b0bb60b36d9fd790a380009364c700201cc28c797e090b70c0098b065"},
	{"cube", "999754cf823ee8bf259b0cd33ff489555cfb1547fd4d575d14d7d2af733cb041"},
	{"dict_int", "cecf8eae5c070ea67e804a04c96cbf7a4db4a2d9930b8762a4f62e85981e8524"},
	{"dict_xsyn", "5f67689488cd4dc4a505ba1edb331b58c3fd6b95c9c785546da6fe8f7e8c2ef1"},
	{"earthdistance", "5cebcefbd8733f8a697002c4ed6765a24591ea131983cc112998df76ac103399"},
	{"file_fdw", "75448d95c3336d6635d3fa64972080f4c110ebfcab3cfb31310ab6ca67889449"},
	{"fuzzystrmatch", "3dff65d0f0120e888f82e5f0379d1ed64a2f5cd9252a3390bbd47f5a52395707"},
	{"hstore", "08312be8963fa61ecefa71198e16447039ca81a7be39368498366e032773d7cf"},
	{"intarray", "c0818bc76d212bfa5c372e891b6547823987d29162d5af7273086831132a9b00"},
	{"isn", "47815c5d30a4ed2bf25223b7f18050bc7db9011e2c10e2e584ffb5ce6a146b75"},
	{"lo", "13b0a4fe0afde018ff78edd97a48c859d65fc1bbd69877f8b7ea587d257a2275"},
	{"ltree", "ea0085c0796968f87f8d913a8d86277bbc87c43cc6955fc57170a24d4c6088fd"},
	{"pageinspect", "42209e759fc98716636b72555c6ee017f77b3fd2286067edec7f9f7b1205f0a1"},
	{"passwordcheck", "8775b44a5a0fd4d3f0abcc346089f021ce7a995aff412e6244ac0ed49e3d1675"},
	{"pg_buffercache", "dc84d55a6b37f5ca4cd53d4d43deb74ace558f4173e5ab80908d3cde6a349cc3"},
	{"pg_freespacemap", "df1600d9afac86138d583c6a3f3bb87e0df74368e937a801a76b5284813096b3"},
	{"pg_logicalinspect", "5acff42fda9fc8f6ea2ec130e19a5a3feb999d3d47a61b65c097171e5b4220b1"},
	{"pg_overexplain", "3ebfaf95dcfb0c3dc5323712d99daabdc1f90f449be78ca6e0eebc0cc83f7bf0"},
	{"pg_stat_statements", "a7dac9a4c1368eb6523c2a3f8ee67ecc780688017690880c7cf673264b183c33"},
	{"pg_surgery", "8f9ce5fe563266dc61cf0d26d558b9b80e98f3e2414bcf45d98d8f71c4f1d383"},
	{"pg_trgm", "c9347355cc19838d9e887a63b73a870bffb425b17813533137a50b15bb83b694"},
	{"pg_visibility", "5d21d4098afa090bdb2f7b0cc60f0a1934b842cc8ad83c50398c6b9e4af881c4"},
	{"pg_walinspect", "018e0d6a14d65fb0557ca2ecee1da87ca041d00d3bac61d3a785f18bb29f59e3"},
	{"pgcrypto", "4b56f2787fe720ed467674419e93b50663a5f0631ca43832d2b731943634bb39"},
	{"seg", "2db96413ab8547e1cdf6dfd28b3da59dceb1e9f5c4e756e7c31b589efe534feb"},
	{"spi", "66e4efe8380a927d4b778ce12dec1b0c6f2ead01808f5d24316f8184fe81ccbb"},
	{"tablefunc", "dfd963a63931efdcf9cf54642d4be6accefc8efb1ddb9e4c8b3b5c31c44ed88f"},
	{"tcn", "e3bc0ed8a27d8fc9ca170a264f54cb8c7b3eb1570c59ec8dbc009bb9e193e2e3"},
	{"tsm_system_rows", "9980001a91f7cc8e11f0bc24cc1b27931bcb7d68ac63d05de4fb4b5634b8b787"},
	{"tsm_system_time", "3acf47bcc9943eecde78bdd2c8f0b149c1208eb2cfed0c8ccc945bf3127685c9"},
	{"unaccent", "f5396e5ae19e8122afaee1120b11762f17f05286cdf7e1b18017092b31f1bba5"},
	{"uuid-ossp", "b01ebbad574b182913b86ae1736666cbb67899514d4a418f0f2b981fc19dc728"},
}

// extensionPackages are the extension packages: name, version, tarball sha256, and the one
// bundle each ships (dist/<bundle>.tar.gz, kept as extensions/<bundle>.tar.gz) with its sha256.
var extensionPackages = [][5]string{
	{"@electric-sql/pglite-pgvector", "0.0.16", "0a79bb6f43b128f53bf21d5060354560820c0e5744f332d8a2a74d7daadc2de3", "vector", "1ef432f8c94cf9048b1964208a4d68b8dc7a569b2203d3ec9e9558e3e17a129e"},
	{"@electric-sql/pglite-age", "0.0.16", "dd683462961c1fe108b0a84afd32a8b1c3adbb4b63dff6139cb860de26cbf692", "age", "1215d53f673356af0fd828afe863e7da3ffc76a973bbab0777b68d7efc14c85e"},
	{"@electric-sql/pglite-pg_ivm", "0.0.16", "5e0cfccbfdba1582c14d949cc878a8692b807ccce80878b238ba1d321a98f9f9", "pg_ivm", "da68b82c4e9af49d6acf8a14cbfc623172da229cf4c99d9df953e55aeb0c15a7"},
	{"@electric-sql/pglite-pgtap", "0.0.16", "43e5b77d46ea1410672a8efdbeef3117e2d15bb979b8b200487c5110a060e1eb", "pgtap", "a873418693e88da4de4d4f71408ade7172654a9231db19dc7de6da6dbe747302"},
	{"@electric-sql/pglite-pg_uuidv7", "0.0.16", "5953e61f57e053b5d13a24f87119f49350596f7dd410a53812a606997ed2c0cf", "pg_uuidv7", "260a94e0a71269c0be6881bda5a72ac17ab8c03545492e0aac30c10197d56a41"},
	{"@electric-sql/pglite-pg_hashids", "0.0.16", "c86500476c3279900216974d167d8f71ef5452187fd0dbe3dd3230c7a4f127f7", "pg_hashids", "8b466edf50e7239289339a476324a71039bca3e35c292ba978342393512968d2"},
	{"@electric-sql/pglite-pg_textsearch", "0.0.17", "6a52b17624ff9ce14a30d20f4517e04f281c85695eb4c28f84667748aebf5a5b", "pg_textsearch", "c6c36bcdc40ad29bf6a7742fb8723c3b4591d618e2e72396fe60a27f7136cf08"},
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
