// The wire's country values are Qt5 QLocale::Country numbers (Qt 5.15), not ISO codes: every
// Jamulus version sends them, so riffbox stores and sends the Qt number and shows ISO codes
// only at the edges (CLI, forms). One row per Qt value; the table drives every lookup below.
//
// The fourth column marks codes that ISO 3166-1 "exceptionally reserves" or leaves to users
// (AC, CP, DG, EA, IC, TA, XK): Qt and CLDR use them, so `--server-info "x;y;XK"` works as it
// does with Jamulus, but they are flagged for anyone who needs strict ISO. Regions with no
// two-letter code at all (Default, Latin America, European Union, Outlying Oceania, World,
// Europe) carry null.

type CountryRow = readonly [code: number, name: string, iso: string | null, reserved?: true];

const ROWS: readonly CountryRow[] = [
  [0, 'Default', null],
  [1, 'Afghanistan', 'AF'],
  [2, 'Albania', 'AL'],
  [3, 'Algeria', 'DZ'],
  [4, 'American Samoa', 'AS'],
  [5, 'Andorra', 'AD'],
  [6, 'Angola', 'AO'],
  [7, 'Anguilla', 'AI'],
  [8, 'Antarctica', 'AQ'],
  [9, 'Antigua And Barbuda', 'AG'],
  [10, 'Argentina', 'AR'],
  [11, 'Armenia', 'AM'],
  [12, 'Aruba', 'AW'],
  [13, 'Australia', 'AU'],
  [14, 'Austria', 'AT'],
  [15, 'Azerbaijan', 'AZ'],
  [16, 'Bahamas', 'BS'],
  [17, 'Bahrain', 'BH'],
  [18, 'Bangladesh', 'BD'],
  [19, 'Barbados', 'BB'],
  [20, 'Belarus', 'BY'],
  [21, 'Belgium', 'BE'],
  [22, 'Belize', 'BZ'],
  [23, 'Benin', 'BJ'],
  [24, 'Bermuda', 'BM'],
  [25, 'Bhutan', 'BT'],
  [26, 'Bolivia', 'BO'],
  [27, 'Bosnia And Herzegowina', 'BA'],
  [28, 'Botswana', 'BW'],
  [29, 'Bouvet Island', 'BV'],
  [30, 'Brazil', 'BR'],
  [31, 'British Indian Ocean Territory', 'IO'],
  [32, 'Brunei', 'BN'],
  [33, 'Bulgaria', 'BG'],
  [34, 'Burkina Faso', 'BF'],
  [35, 'Burundi', 'BI'],
  [36, 'Cambodia', 'KH'],
  [37, 'Cameroon', 'CM'],
  [38, 'Canada', 'CA'],
  [39, 'Cape Verde', 'CV'],
  [40, 'Cayman Islands', 'KY'],
  [41, 'Central African Republic', 'CF'],
  [42, 'Chad', 'TD'],
  [43, 'Chile', 'CL'],
  [44, 'China', 'CN'],
  [45, 'Christmas Island', 'CX'],
  [46, 'Cocos Islands', 'CC'],
  [47, 'Colombia', 'CO'],
  [48, 'Comoros', 'KM'],
  [49, 'Congo Kinshasa', 'CD'],
  [50, 'Congo Brazzaville', 'CG'],
  [51, 'Cook Islands', 'CK'],
  [52, 'Costa Rica', 'CR'],
  [53, 'Ivory Coast', 'CI'],
  [54, 'Croatia', 'HR'],
  [55, 'Cuba', 'CU'],
  [56, 'Cyprus', 'CY'],
  [57, 'Czech Republic', 'CZ'],
  [58, 'Denmark', 'DK'],
  [59, 'Djibouti', 'DJ'],
  [60, 'Dominica', 'DM'],
  [61, 'Dominican Republic', 'DO'],
  [62, 'East Timor', 'TL'],
  [63, 'Ecuador', 'EC'],
  [64, 'Egypt', 'EG'],
  [65, 'El Salvador', 'SV'],
  [66, 'Equatorial Guinea', 'GQ'],
  [67, 'Eritrea', 'ER'],
  [68, 'Estonia', 'EE'],
  [69, 'Ethiopia', 'ET'],
  [70, 'Falkland Islands', 'FK'],
  [71, 'Faroe Islands', 'FO'],
  [72, 'Fiji', 'FJ'],
  [73, 'Finland', 'FI'],
  [74, 'France', 'FR'],
  [75, 'Guernsey', 'GG'],
  [76, 'French Guiana', 'GF'],
  [77, 'French Polynesia', 'PF'],
  [78, 'French Southern Territories', 'TF'],
  [79, 'Gabon', 'GA'],
  [80, 'Gambia', 'GM'],
  [81, 'Georgia', 'GE'],
  [82, 'Germany', 'DE'],
  [83, 'Ghana', 'GH'],
  [84, 'Gibraltar', 'GI'],
  [85, 'Greece', 'GR'],
  [86, 'Greenland', 'GL'],
  [87, 'Grenada', 'GD'],
  [88, 'Guadeloupe', 'GP'],
  [89, 'Guam', 'GU'],
  [90, 'Guatemala', 'GT'],
  [91, 'Guinea', 'GN'],
  [92, 'Guinea Bissau', 'GW'],
  [93, 'Guyana', 'GY'],
  [94, 'Haiti', 'HT'],
  [95, 'Heard And McDonald Islands', 'HM'],
  [96, 'Honduras', 'HN'],
  [97, 'Hong Kong', 'HK'],
  [98, 'Hungary', 'HU'],
  [99, 'Iceland', 'IS'],
  [100, 'India', 'IN'],
  [101, 'Indonesia', 'ID'],
  [102, 'Iran', 'IR'],
  [103, 'Iraq', 'IQ'],
  [104, 'Ireland', 'IE'],
  [105, 'Israel', 'IL'],
  [106, 'Italy', 'IT'],
  [107, 'Jamaica', 'JM'],
  [108, 'Japan', 'JP'],
  [109, 'Jordan', 'JO'],
  [110, 'Kazakhstan', 'KZ'],
  [111, 'Kenya', 'KE'],
  [112, 'Kiribati', 'KI'],
  [113, 'North Korea', 'KP'],
  [114, 'South Korea', 'KR'],
  [115, 'Kuwait', 'KW'],
  [116, 'Kyrgyzstan', 'KG'],
  [117, 'Laos', 'LA'],
  [118, 'Latvia', 'LV'],
  [119, 'Lebanon', 'LB'],
  [120, 'Lesotho', 'LS'],
  [121, 'Liberia', 'LR'],
  [122, 'Libya', 'LY'],
  [123, 'Liechtenstein', 'LI'],
  [124, 'Lithuania', 'LT'],
  [125, 'Luxembourg', 'LU'],
  [126, 'Macau', 'MO'],
  [127, 'Macedonia', 'MK'],
  [128, 'Madagascar', 'MG'],
  [129, 'Malawi', 'MW'],
  [130, 'Malaysia', 'MY'],
  [131, 'Maldives', 'MV'],
  [132, 'Mali', 'ML'],
  [133, 'Malta', 'MT'],
  [134, 'Marshall Islands', 'MH'],
  [135, 'Martinique', 'MQ'],
  [136, 'Mauritania', 'MR'],
  [137, 'Mauritius', 'MU'],
  [138, 'Mayotte', 'YT'],
  [139, 'Mexico', 'MX'],
  [140, 'Micronesia', 'FM'],
  [141, 'Moldova', 'MD'],
  [142, 'Monaco', 'MC'],
  [143, 'Mongolia', 'MN'],
  [144, 'Montserrat', 'MS'],
  [145, 'Morocco', 'MA'],
  [146, 'Mozambique', 'MZ'],
  [147, 'Myanmar', 'MM'],
  [148, 'Namibia', 'NA'],
  [149, 'Nauru', 'NR'],
  [150, 'Nepal', 'NP'],
  [151, 'Netherlands', 'NL'],
  [152, 'Cura Sao', 'CW'],
  [153, 'New Caledonia', 'NC'],
  [154, 'New Zealand', 'NZ'],
  [155, 'Nicaragua', 'NI'],
  [156, 'Niger', 'NE'],
  [157, 'Nigeria', 'NG'],
  [158, 'Niue', 'NU'],
  [159, 'Norfolk Island', 'NF'],
  [160, 'Northern Mariana Islands', 'MP'],
  [161, 'Norway', 'NO'],
  [162, 'Oman', 'OM'],
  [163, 'Pakistan', 'PK'],
  [164, 'Palau', 'PW'],
  [165, 'Palestinian Territories', 'PS'],
  [166, 'Panama', 'PA'],
  [167, 'Papua New Guinea', 'PG'],
  [168, 'Paraguay', 'PY'],
  [169, 'Peru', 'PE'],
  [170, 'Philippines', 'PH'],
  [171, 'Pitcairn', 'PN'],
  [172, 'Poland', 'PL'],
  [173, 'Portugal', 'PT'],
  [174, 'Puerto Rico', 'PR'],
  [175, 'Qatar', 'QA'],
  [176, 'Reunion', 'RE'],
  [177, 'Romania', 'RO'],
  [178, 'Russia', 'RU'],
  [179, 'Rwanda', 'RW'],
  [180, 'Saint Kitts And Nevis', 'KN'],
  [181, 'Saint Lucia', 'LC'],
  [182, 'Saint Vincent And The Grenadines', 'VC'],
  [183, 'Samoa', 'WS'],
  [184, 'San Marino', 'SM'],
  [185, 'Sao Tome And Principe', 'ST'],
  [186, 'Saudi Arabia', 'SA'],
  [187, 'Senegal', 'SN'],
  [188, 'Seychelles', 'SC'],
  [189, 'Sierra Leone', 'SL'],
  [190, 'Singapore', 'SG'],
  [191, 'Slovakia', 'SK'],
  [192, 'Slovenia', 'SI'],
  [193, 'Solomon Islands', 'SB'],
  [194, 'Somalia', 'SO'],
  [195, 'South Africa', 'ZA'],
  [196, 'South Georgia And The South Sandwich Islands', 'GS'],
  [197, 'Spain', 'ES'],
  [198, 'Sri Lanka', 'LK'],
  [199, 'Saint Helena', 'SH'],
  [200, 'Saint Pierre And Miquelon', 'PM'],
  [201, 'Sudan', 'SD'],
  [202, 'Suriname', 'SR'],
  [203, 'Svalbard And Jan Mayen Islands', 'SJ'],
  [204, 'Swaziland', 'SZ'],
  [205, 'Sweden', 'SE'],
  [206, 'Switzerland', 'CH'],
  [207, 'Syria', 'SY'],
  [208, 'Taiwan', 'TW'],
  [209, 'Tajikistan', 'TJ'],
  [210, 'Tanzania', 'TZ'],
  [211, 'Thailand', 'TH'],
  [212, 'Togo', 'TG'],
  [213, 'Tokelau', 'TK'],
  [214, 'Tonga', 'TO'],
  [215, 'Trinidad And Tobago', 'TT'],
  [216, 'Tunisia', 'TN'],
  [217, 'Turkey', 'TR'],
  [218, 'Turkmenistan', 'TM'],
  [219, 'Turks And Caicos Islands', 'TC'],
  [220, 'Tuvalu', 'TV'],
  [221, 'Uganda', 'UG'],
  [222, 'Ukraine', 'UA'],
  [223, 'United Arab Emirates', 'AE'],
  [224, 'United Kingdom', 'GB'],
  [225, 'United States', 'US'],
  [226, 'United States Minor Outlying Islands', 'UM'],
  [227, 'Uruguay', 'UY'],
  [228, 'Uzbekistan', 'UZ'],
  [229, 'Vanuatu', 'VU'],
  [230, 'Vatican City State', 'VA'],
  [231, 'Venezuela', 'VE'],
  [232, 'Vietnam', 'VN'],
  [233, 'British Virgin Islands', 'VG'],
  [234, 'United States Virgin Islands', 'VI'],
  [235, 'Wallis And Futuna Islands', 'WF'],
  [236, 'Western Sahara', 'EH'],
  [237, 'Yemen', 'YE'],
  [238, 'Canary Islands', 'IC', true],
  [239, 'Zambia', 'ZM'],
  [240, 'Zimbabwe', 'ZW'],
  [241, 'Clipperton Island', 'CP', true],
  [242, 'Montenegro', 'ME'],
  [243, 'Serbia', 'RS'],
  [244, 'Saint Barthelemy', 'BL'],
  [245, 'Saint Martin', 'MF'],
  [246, 'Latin America', null],
  [247, 'Ascension Island', 'AC', true],
  [248, 'Aland Islands', 'AX'],
  [249, 'Diego Garcia', 'DG', true],
  [250, 'Ceuta And Melilla', 'EA', true],
  [251, 'Isle Of Man', 'IM'],
  [252, 'Jersey', 'JE'],
  [253, 'Tristan Da Cunha', 'TA', true],
  [254, 'South Sudan', 'SS'],
  [255, 'Bonaire', 'BQ'],
  [256, 'Sint Maarten', 'SX'],
  [257, 'Kosovo', 'XK', true],
  [258, 'European Union', null],
  [259, 'Outlying Oceania', null],
  [260, 'World', null],
  [261, 'Europe', null],
];

export interface Country {
  /** Qt5 QLocale::Country value, as sent on the wire. */
  readonly code: number;
  /** Qt's English display name. */
  readonly name: string;
  /** ISO 3166-1 alpha-2 (upper case), or null for regions without one. */
  readonly iso: string | null;
  /** True for codes ISO 3166-1 only reserves (see the note at the top). */
  readonly reservedIso: boolean;
}

/** 0 is Qt's AnyCountry: "not set" on the wire. */
export const COUNTRY_NOT_SET = 0;
/** The last value Qt 5.15 knows; receivers must still accept any u16. */
export const MAX_QT_COUNTRY = 261;

export const COUNTRIES: readonly Country[] = ROWS.map(([code, name, iso, reserved]) =>
  Object.freeze({ code, name, iso, reservedIso: reserved === true }),
);

const byCode = new Map<number, Country>(COUNTRIES.map((c) => [c.code, c]));
const byIso = new Map<string, Country>(
  COUNTRIES.filter((c): c is Country & { iso: string } => c.iso !== null).map((c) => [c.iso, c]),
);

export function countryByCode(code: number): Country | undefined {
  return byCode.get(code);
}

/** `countryFromIso('de')` → 82; undefined when the code is unknown. */
export function countryFromIso(iso: string): number | undefined {
  return byIso.get(iso.trim().toUpperCase())?.code;
}

/** `isoFromCountry(82)` → 'DE'; undefined for regions without a code and unknown values. */
export function isoFromCountry(code: number): string | undefined {
  return byCode.get(code)?.iso ?? undefined;
}

/** Qt's English name, or "Default" for values Qt 5.15 does not know (they mean "not set"). */
export function countryName(code: number): string {
  return byCode.get(code)?.name ?? 'Default';
}

/**
 * Accepts an ISO two-letter code in any case ("de", "DE") or a numeric Qt code ("82").
 * Throws a RangeError whose message can be shown to a person as is.
 */
export function parseCountry(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const code = Number(t);
    if (!byCode.has(code)) {
      throw new RangeError(`Unknown country code ${t}: Qt country codes run from 0 to ${MAX_QT_COUNTRY}`);
    }
    return code;
  }
  if (/^[A-Za-z]{2}$/.test(t)) {
    const code = countryFromIso(t);
    if (code === undefined) throw new RangeError(`Unknown country "${t}": not an ISO 3166-1 two-letter code riffbox knows`);
    return code;
  }
  throw new RangeError(`Unknown country "${t}": use an ISO two-letter code such as DE, or a Qt country number`);
}
