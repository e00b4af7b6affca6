#!/usr/bin/env python3
"""Generate a realistic, messy CRM contact export (HubSpot/Shopify style).

    python sample_data/generate.py --rows 1000000 -o big.csv [--seed 42]
    python sample_data/generate.py --rows 3000 -o -          # to stdout

The output is fully deterministic: the same ``--seed`` and ``--rows`` give a
byte-identical file (independent of ``--chunk-size``, today's date, the
machine or the number of threads).  Every value is a pure function of
``(seed, row index)``: random numbers come from an integer hash of the row
index computed with polars expressions (no Python loop per row, no global
RNG state), and the rows are produced and appended in chunks so that a
10M-row file never has to be held in memory.

Dates are relative to the fixed reference date 2026-11-01.

Mess included on purpose (Spanish and English data):
  * names with accents / ñ / apostrophes, inconsistent case, stray spaces;
  * emails: mixed case, surrounding whitespace (incl. NBSP), ``mailto:``,
    ``+tags``, gmail dots / googlemail.com, invalid syntax, typo domains,
    role accounts, disposable domains, IDN (unicode) addresses, blanks;
  * phones in many national / international formats for ES, US, GB, MX,
    AR, FR, DE, CO, extensions, Excel artefacts, garbage, blanks, two
    numbers in one cell;
  * country written as codes, English and Spanish names, blanks;
  * consent / unsubscribe flags written as yes/no, Y/N, true/false, 1/0,
    sí/no, opted-in/opted-out, subscribed/unsubscribed, dates, blanks;
  * Last Activity Date ISO (sometimes with time), Created Date dd/mm/yyyy,
    some very old (stale) activity, blanks;
  * ~5 % duplicate people (same email with case / whitespace / gmail dots /
    +tag / googlemail variations, re-formatted phone, sometimes one copy
    unsubscribed) and ~2 % rows sharing only the phone with another row;
  * a handful of spreadsheet formula-injection cells (``=HYPERLINK(...)``,
    ``@SUM(1+1)``, ``-cmd`` ...).
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
import zlib
from datetime import date

import polars as pl

HEADER = [
    "Customer ID",
    "First Name",
    "Last Name",
    "Email Address",
    "Phone Number",
    "Country",
    "Email Marketing Consent",
    "SMS Consent",
    "Unsubscribed",
    "Last Activity Date",
    "Created Date",
    "City",
]

REFERENCE_DATE = date(2026, 11, 1)
DEFAULT_SEED = 42
DEFAULT_CHUNK = 200_000

# Rows (all below 3000) that always carry formula-injection bait, two of each
# kind in FORMULA_BAIT, so the bundled sample shows them all; a hash adds
# ~1/700 more rows with random bait everywhere.
FORCED_BAIT_ROWS = (57, 211, 404, 650, 811, 1000, 1234, 1500, 1777, 2024, 2222, 2500, 2718, 2800, 2911, 2999)

# ---------------------------------------------------------------------------
# Pools.  Weighted pools are written as (value, weight) and expanded by
# repetition, so a uniform index into the expanded list gives the weights.
# ---------------------------------------------------------------------------

# country index order used everywhere below
COUNTRIES = ["ES", "US", "GB", "MX", "AR", "FR", "DE", "CO"]
COUNTRY_WEIGHTS = [55, 12, 8, 8, 5, 4, 4, 4]
# name "language" per country: 0 Spanish, 1 English, 2 French, 3 German
COUNTRY_LANG = [0, 1, 1, 0, 0, 2, 3, 0]

ES_FIRST = """José María Juan Carmen Antonio Ana Manuel Isabel Francisco Laura
David Lucía Javier Cristina Daniel Marta Carlos Elena Jesús Pilar Alejandro
Sara Miguel Paula Rafael Raquel Pedro Rocío Ángel Mercedes Pablo Beatriz
Sergio Nuria Fernando Silvia Jorge Patricia Luis Irene Alberto Andrea Álvaro
Sofía Adrián Mónica Diego Alba Raúl Inés Iván Claudia Rubén Julia Óscar Noelia
Enrique Lorena Ramón Natalia Andrés Susana Vicente Yolanda Joaquín Rosa Santiago
Alicia Víctor Montserrat Ignacio Begoña Emilio Ainhoa Gonzalo Itziar Íñigo
Nerea Iñaki Leire Aitor Maite Jaime Amparo Marcos Consuelo Hugo Dolores Martín
Encarnación Mateo Asunción Nicolás Remedios Agustín Fátima Ismael Milagros
Tomás Guadalupe Sebastián Ximena Mariano Valentina Gustavo Camila Rodrigo
Florencia Matías Agustina Emiliano Daniela Joan Montse Jordi Núria Xavier
Mireia Sebastià Pau Aránzazu Germán Salomé Álex Noé Zoe""".split()
ES_FIRST_COMPOUND = ["María José", "Juan Carlos", "José Luis", "María del Carmen",
                     "José Antonio", "Ana Belén", "Juan Manuel", "María Ángeles",
                     "Francisco Javier", "Luis Miguel", "María Jesús", "Miguel Ángel"]
ES_LAST = """García Fernández González Rodríguez López Martínez Sánchez Pérez
Gómez Martín Jiménez Hernández Ruiz Díaz Moreno Muñoz Álvarez Romero Gutiérrez
Alonso Navarro Torres Domínguez Ramos Vázquez Ramírez Gil Serrano Morales Molina
Blanco Suárez Castro Ortega Delgado Ortiz Marín Rubio Núñez Medina Sanz Castillo
Iglesias Cortés Garrido Santos Guerrero Lozano Cano Cruz Méndez Flores Prieto
Herrera Peña León Márquez Cabrera Gallego Calvo Vidal Campos Reyes Vega Fuentes
Carrasco Díez Aguilar Caballero Nieto Santana Vargas Pascual Giménez Herrero
Hidalgo Montero Lorenzo Santiago Benítez Durán Ibáñez Arias Mora Ferrer
Carmona Vicente Rojas Soto Crespo Román Pastor Velasco Parra Sáez Moya Bravo
Rivera Gallardo Soler Esteban Pardo Ñíguez Ñúñez Echeverría Goikoetxea
Etxeberria Zubizarreta Urrutia Aranguren Quiñones Maldonado Salazar Rincón
Acuña Villalobos Zúñiga Bermúdez Beltrán Figueroa Cuesta Carreño Montaña
Castaño Patiño Muñiz Ordóñez Yáñez Peñalver Llorente Puig Roca Pujol Casals
Vallejo Ferrándiz Catalán Albéniz Valdés Mejía Ochoa Ríos Valencia Cárdenas""".split()
ES_LAST_MULTI = ["de la Fuente", "del Río", "de la Cruz", "San Martín", "de León",
                 "del Valle", "de Castro", "García-Page", "Ruiz de Alda"]
EN_FIRST = """James Mary John Patricia Robert Jennifer Michael Linda William
Elizabeth David Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen
Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra Donald
Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol
Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie
Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin
Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory
Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack
Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Oliver Chloe Harry
Sophie Liam Olivia Noah Ava Ethan Isla Zoë Renée Seán Siobhán""".split()
EN_FIRST_COMPOUND = ["Mary Ann", "Anne-Marie", "John Paul", "Mary Kate"]
EN_LAST = """Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson
Taylor Thomas Moore Martin Jackson Thompson White Harris Clark Lewis Robinson
Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter
Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart
Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard
Ward Cox Richardson Wood Watson Brooks Bennett Gray James Hughes Price Myers
Long Foster Sanders Ross Powell Sullivan Russell Jenkins Perry Butler Barnes
Fisher Henderson Coleman Simmons Patterson Jordan Reynolds Hamilton Graham
Wallace West Cole Hayes Gibson Ellis Hunt Palmer Holmes Knight Lloyd
Davies Owen Walsh Byrne Kennedy McDonald MacLeod Fitzgerald""".split()
EN_LAST_MULTI = ["O'Brien", "O'Connor", "O'Neill", "D'Souza", "Smith-Jones",
                 "Van der Berg", "McAllister", "De Luca"]
FR_FIRST = """Jean Marie Pierre Nathalie Michel Isabelle Philippe Sylvie Alain
Catherine Nicolas Sophie François Céline Julien Émilie Stéphane Hélène Sébastien
Aurélie Frédéric Chloé Jérôme Léa Cédric Amélie Loïc Anaïs Théo Maëlle Camille
Manon Inès Louise Jade Lucas Hugo Gabriel Arthur Raphaël Mathieu Guillaume Benoît
Thierry Pascal Olivier Valérie Sandrine Véronique Christophe Laurent Éric Gaëlle
Noémie Zoé Mathis Clément Baptiste Quentin Adèle Océane Margaux Éloïse""".split()
FR_LAST = """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau
Simon Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Girard
Bonnet Dupont Lambert Fontaine Rousseau Blanc Guérin Müller Faure Chevalier
André Mercier François Legrand Gauthier Garnier Perrin Robin Clément Morin
Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Lemaire
Lefebvre Rolland Brun Renaud Giraud Dumont Picard Meunier Lacroix Caron""".split()
DE_FIRST = """Thomas Sabine Michael Petra Andreas Claudia Stefan Monika Jürgen
Ursula Matthias Katrin Jörg Anja Björn Lukas Lena Jonas Leonie Maximilian
Jana Uwe Birgit Günter Bärbel Tobias Sören Anke Dieter Horst Felix Paul Leon
Finn Elias Ben Noah Luis Emil Anton Hannah Emma Mia Sophia Marie Lina Ella Clara
Frieda Ida Greta Wolfgang Klaus Heike Gabriele Karin Renate Manfred Helmut
Sebastian Florian Christian Markus Daniela Julia Franziska Katharina""".split()
DE_LAST = """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz
Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz
Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier
Köhler Weiß Groß Jäger Fuchs Lehmann Peters Scholz Möller Walter König
Mayer Huber Kaiser Herrmann Schulze Vogel Friedrich Keller Günther Frank
Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon
Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jung Otto
Sommer Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler""".split()

CITIES = {
    "ES": [("Madrid", 20), ("Barcelona", 14), ("Valencia", 6), ("Sevilla", 5),
           ("Zaragoza", 4), ("Málaga", 4), ("Murcia", 3), ("Palma de Mallorca", 3),
           ("Las Palmas de Gran Canaria", 2), ("Bilbao", 3), ("Alicante", 3),
           ("Córdoba", 2), ("Valladolid", 2), ("Vigo", 2), ("Gijón", 2),
           ("L'Hospitalet de Llobregat", 2), ("A Coruña", 2), ("Vitoria-Gasteiz", 1),
           ("Granada", 2), ("Elche", 1), ("Oviedo", 1), ("Badalona", 1),
           ("Cartagena", 1), ("Terrassa", 1), ("Jerez de la Frontera", 1),
           ("Sabadell", 1), ("Móstoles", 1), ("Santa Cruz de Tenerife", 1),
           ("Pamplona", 1), ("Almería", 1), ("Alcalá de Henares", 1),
           ("San Sebastián", 1), ("Donostia", 1), ("León", 1), ("Cádiz", 1),
           ("Salamanca", 1), ("Logroño", 1), ("Cáceres", 1), ("Ávila", 1)],
    "US": [("New York", 8), ("Los Angeles", 5), ("Chicago", 4), ("Houston", 3),
           ("Phoenix", 2), ("Philadelphia", 2), ("San Antonio", 2), ("San Diego", 2),
           ("Dallas", 2), ("San Jose", 1), ("Austin", 2), ("Miami", 3),
           ("Seattle", 2), ("Boston", 2), ("Denver", 1), ("Atlanta", 2),
           ("Washington", 2), ("San Francisco", 2), ("Portland", 1), ("Las Vegas", 1)],
    "GB": [("London", 10), ("Manchester", 3), ("Birmingham", 3), ("Leeds", 2),
           ("Glasgow", 2), ("Liverpool", 2), ("Bristol", 2), ("Edinburgh", 2),
           ("Cardiff", 1), ("Newcastle upon Tyne", 1), ("Brighton", 1), ("Belfast", 1)],
    "MX": [("Ciudad de México", 8), ("CDMX", 2), ("Guadalajara", 3), ("Monterrey", 3),
           ("Puebla", 2), ("Querétaro", 1), ("Mérida", 1), ("Tijuana", 1),
           ("Cancún", 1), ("León", 1), ("San Luis Potosí", 1)],
    "AR": [("Buenos Aires", 8), ("CABA", 2), ("Córdoba", 3), ("Rosario", 2),
           ("Mendoza", 2), ("La Plata", 1), ("San Miguel de Tucumán", 1), ("Mar del Plata", 1)],
    "FR": [("Paris", 6), ("Marseille", 2), ("Lyon", 2), ("Toulouse", 1), ("Nice", 1),
           ("Nantes", 1), ("Bordeaux", 1), ("Lille", 1), ("Saint-Étienne", 1)],
    "DE": [("Berlin", 5), ("Hamburg", 3), ("München", 3), ("Munich", 1), ("Köln", 2),
           ("Frankfurt am Main", 2), ("Stuttgart", 1), ("Düsseldorf", 1), ("Leipzig", 1)],
    "CO": [("Bogotá", 8), ("Medellín", 4), ("Cali", 3), ("Barranquilla", 2),
           ("Cartagena de Indias", 1), ("Bucaramanga", 1), ("Pereira", 1)],
}

COUNTRY_TEXT = {
    "ES": [("ES", 20), ("Spain", 10), ("España", 10), ("es", 4), ("ESP", 3),
           ("Espana", 2), ("SPAIN", 2), ("españa", 1), ("Spain ", 1), ("ES-MD", 1)],
    "US": [("US", 8), ("United States", 6), ("USA", 5), ("us", 1), ("U.S.A.", 1),
           ("Estados Unidos", 2), ("United States of America", 1)],
    "GB": [("UK", 6), ("GB", 5), ("United Kingdom", 5), ("Reino Unido", 2),
           ("England", 1), ("gb", 1), ("Great Britain", 1)],
    "MX": [("MX", 6), ("México", 5), ("Mexico", 3), ("MEX", 1), ("méxico", 1)],
    "AR": [("AR", 6), ("Argentina", 6), ("ARG", 1), ("argentina", 1)],
    "FR": [("FR", 5), ("France", 4), ("Francia", 2), ("fr", 1)],
    "DE": [("DE", 5), ("Germany", 4), ("Alemania", 2), ("Deutschland", 1)],
    "CO": [("CO", 5), ("Colombia", 6), ("COL", 1)],
}

COMPANY_DOMAINS = """acme-logistica.es grupoibersur.com construccionesdelvalle.es
talleresmartinez.es clinicadentalsonrisa.es ferreteria-lopez.com
inmobiliariacostasol.es asesoriagarcia.es transportesnavarro.es
bodegasriojalta.es hotelmiramar.es academiaidiomas.es cafeteriaelsol.es
northwind-traders.com contoso.com fabrikam.com globex-corp.com initech.com
umbrella-corp.co.uk brightside-media.co.uk riverside-dental.com
techsolutions.io datapipe.io nubeconsulting.com distribuidoramx.com.mx
agroandes.com.co estudiojuridico.com.ar""".split()

EMAIL_DOMAINS = {
    "ES": [("gmail.com", 38), ("hotmail.com", 12), ("hotmail.es", 13), ("yahoo.es", 6),
           ("outlook.com", 6), ("outlook.es", 3), ("icloud.com", 4), ("telefonica.net", 3),
           ("movistar.es", 1), ("live.com", 2), ("msn.com", 1), ("yahoo.com", 2),
           ("ono.com", 1), ("terra.es", 1), ("protonmail.com", 1), ("COMPANY", 6)],
    "US": [("gmail.com", 40), ("yahoo.com", 12), ("hotmail.com", 6), ("outlook.com", 8),
           ("icloud.com", 8), ("aol.com", 4), ("comcast.net", 3), ("att.net", 2),
           ("msn.com", 2), ("me.com", 2), ("COMPANY", 8)],
    "GB": [("gmail.com", 35), ("hotmail.co.uk", 12), ("yahoo.co.uk", 8), ("outlook.com", 8),
           ("btinternet.com", 6), ("icloud.com", 6), ("sky.com", 3), ("live.co.uk", 4),
           ("COMPANY", 8)],
    "MX": [("gmail.com", 40), ("hotmail.com", 25), ("outlook.com", 8), ("yahoo.com.mx", 8),
           ("live.com.mx", 3), ("prodigy.net.mx", 2), ("icloud.com", 3), ("COMPANY", 5)],
    "AR": [("gmail.com", 45), ("hotmail.com", 20), ("yahoo.com.ar", 10), ("outlook.com", 6),
           ("fibertel.com.ar", 3), ("live.com.ar", 3), ("COMPANY", 5)],
    "FR": [("gmail.com", 30), ("orange.fr", 12), ("free.fr", 8), ("hotmail.fr", 8),
           ("laposte.net", 6), ("sfr.fr", 5), ("yahoo.fr", 5), ("outlook.fr", 4), ("COMPANY", 4)],
    "DE": [("gmail.com", 20), ("web.de", 15), ("gmx.de", 15), ("t-online.de", 10),
           ("gmx.net", 5), ("outlook.de", 4), ("yahoo.de", 4), ("posteo.de", 2), ("COMPANY", 4)],
    "CO": [("gmail.com", 45), ("hotmail.com", 25), ("outlook.com", 10), ("yahoo.es", 5),
           ("yahoo.com", 5), ("COMPANY", 5)],
}

TYPO_DOMAINS = {
    "gmail.com": ["gmial.com", "gmal.com", "gmail.con", "gamil.com", "gmail.co", "gmaill.com", "gnail.com"],
    "hotmail.es": ["hotmal.es", "hotmial.es", "hotmail.e", "hotmai.es"],
    "hotmail.com": ["hotmial.com", "hotmal.com", "hotmail.cm", "hotmil.com"],
    "yahoo.es": ["yaho.es", "yahooo.es", "yahoo.e"],
    "yahoo.com": ["yaho.com", "yahoo.cm", "yahho.com"],
    "outlook.com": ["outlok.com", "outloo.com", "outlook.co"],
    "outlook.es": ["outlok.es", "outllok.es"],
    "icloud.com": ["iclod.com", "icloud.co", "icluod.com"],
    "telefonica.net": ["telefonica.ne", "telefonika.net"],
    "hotmail.co.uk": ["hotmail.co.uj", "hotmial.co.uk"],
}
TYPO_FALLBACK = ["gmial.com", "gmal.com", "hotmal.es", "hotmial.com", "yaho.es", "outlok.com"]

ROLE_LOCALS = [("info", 6), ("ventas", 3), ("contacto", 3), ("noreply", 2), ("no-reply", 1),
               ("admin", 2), ("sales", 2), ("administracion", 1), ("facturacion", 1),
               ("support", 1), ("soporte", 1), ("hola", 1), ("office", 1), ("marketing", 1),
               ("webmaster", 1), ("postmaster", 1), ("rrhh", 1)]
DISPOSABLE = [("mailinator.com", 4), ("yopmail.com", 4), ("guerrillamail.com", 2),
              ("10minutemail.com", 2), ("temp-mail.org", 1), ("trashmail.com", 1),
              ("sharklasers.com", 1), ("dispostable.com", 1)]
IDN_DOMAINS = ["correo.españa.es", "münchen.de", "bücher.de", "peñarroya.es",
               "añoranza.com", "café-olé.es", "müller-bau.de", "xn--mnchen-3ya.de",
               "niñosfelices.es", "señal.com.mx"]
PLUS_TAGS = ["news", "promo", "tienda", "shop", "crm", "2024", "newsletter", "compras",
             "amazon", "ofertas", "spam", "hs"]
NBSP = "\u00a0"

PHONE_GARBAGE = [("n/a", 4), ("N/A", 3), ("123", 3), ("abc", 2), ("-", 3), ("0", 2),
                 ("000000000", 2), ("tel", 1), ("pendiente", 1), ("no tiene", 1),
                 ("?", 1), ("xxx", 1), ("none", 1), ("12345", 1), ("666", 1),
                 ("+34", 1), ("555-5555", 1), ("#N/A", 1), ("NULL", 1),
                 ("1234567890", 1), ("llamar por la tarde", 1)]

# Phone kinds: name, country index, prefix pool, NSN length, templates.
# '#' in a template is replaced, in order, by the digits of the national
# significant number (NSN) of the person; the template must contain exactly
# NSN-length '#'.
US_AREAS = ["212", "646", "718", "917", "415", "310", "213", "312", "617", "305",
            "713", "206", "404", "202", "702", "214", "503", "512", "602", "619"]
PHONE_KINDS = [
    # --- Spain
    ("ES_M", 0, [("6", 9), ("71", 1), ("72", 1), ("73", 1)], 9,
     [("+34 ### ### ###", 8), ("+34#########", 4), ("0034#########", 3),
      ("0034 ### ## ## ##", 1), ("### ### ###", 8), ("#########", 6),
      ("###-###-###", 2), ("### ## ## ##", 3), ("(+34) ### ### ###", 1),
      ("34#########", 1), ("+34-###-###-###", 1), ("+34 ### ## ## ##", 1),
      ("### ######", 1), ("+34 ###.###.###", 1)]),
    ("ES_L", 0, [("91", 5), ("93", 4), ("95", 2), ("960", 1), ("963", 1), ("965", 1)], 9,
     [("## ### ## ##", 5), ("### ### ###", 3), ("+34 ## ### ## ##", 2),
      ("+34 #########", 1), ("#########", 3), ("(##) ### ## ##", 1),
      ("0034 #########", 1), ("###.##.##.##", 1)]),
    # --- United States
    ("US", 1, [(a + d, 1) for a in US_AREAS for d in "23456789"], 10,
     [("(###) ###-####", 8), ("###-###-####", 6), ("+1 ###-###-####", 4),
      ("+1.###.###.####", 1), ("1-###-###-####", 2), ("##########", 3),
      ("+1 (###) ###-####", 2), ("###.###.####", 2), ("+1##########", 4),
      ("+1 ###-###-#### ext. 12", 1), ("(###) ###-#### x204", 1),
      ("###-###-#### ext 5", 1), ("+1 ### ### ####", 1)]),
    # --- United Kingdom
    ("GB_M", 2, [(p, 1) for p in ["7123", "7234", "7311", "7400", "7512", "7801",
                                  "7824", "7958", "7415", "7380", "7500", "7720",
                                  "7766", "7469", "7594", "7840", "7950", "7976"]], 10,
     [("+44 #### ######", 6), ("0#### ######", 6), ("0##########", 3),
      ("+44 (0)#### ######", 1), ("0044 #### ######", 1), ("+44##########", 3),
      ("0#### ### ###", 2)]),
    ("GB_L", 2, [("203", 1), ("207", 2), ("208", 1), ("1612", 1), ("1214", 1), ("1132", 1)], 10,
     [("0## #### ####", 4), ("+44 ## #### ####", 3), ("+44 (0)## #### ####", 1),
      ("0##########", 1)]),
    # --- Mexico
    ("MX", 3, [("55", 6), ("33", 2), ("81", 2), ("222", 1), ("442", 1), ("999", 1), ("998", 1)], 10,
     [("+52 ## #### ####", 6), ("## #### ####", 4), ("+52 1 ## #### ####", 1),
      ("(##) ####-####", 2), ("##########", 3), ("+52##########", 2),
      ("044 ## #### ####", 1)]),
    # --- Argentina ("9" mobile marker is part of the international templates)
    ("AR_M", 4, [("11", 1)], 10,  # Buenos Aires: the templates assume a 2-digit area code
     [("+54 9 ## ####-####", 6), ("+549##########", 3), ("0## 15-####-####", 2),
      ("## 15-####-####", 1), ("## ####-####", 2), ("+54 ## ####-####", 1)]),
    ("AR_L", 4, [("114", 2), ("113", 1), ("3514", 1)], 10,
     [("## ####-####", 3), ("+54 ## ####-####", 3), ("0## ####-####", 2)]),
    # --- France
    ("FR_M", 5, [(p, 1) for p in ["60", "61", "62", "64", "65", "66", "67", "68",
                                  "73", "74", "75", "76", "77", "78"]], 9,
     [("+33 # ## ## ## ##", 6), ("0# ## ## ## ##", 6), ("0#.##.##.##.##", 2),
      ("0#########", 3), ("+33 (0)# ## ## ## ##", 1), ("+33#########", 2),
      ("0033 # ## ## ## ##", 1)]),
    ("FR_L", 5, [("14", 2), ("15", 1), ("24", 1), ("34", 1), ("47", 1), ("49", 1), ("53", 1)], 9,
     [("0# ## ## ## ##", 6), ("+33 # ## ## ## ##", 3), ("0#.##.##.##.##", 1)]),
    # --- Germany
    ("DE_M", 6, [(p, 1) for p in ["151", "152", "157", "159", "160", "162", "170",
                                  "171", "172", "173", "175", "176", "177", "179"]], 11,
     [("+49 ### ########", 6), ("0### ########", 5), ("0###/########", 2),
      ("+49 (0)### ########", 1), ("0049 ### ########", 1), ("+49###########", 2),
      ("0### ### #####", 1)]),
    ("DE_L", 6, [("302", 1), ("304", 1), ("892", 1), ("404", 1), ("696", 1)], 10,
     [("0## ########", 4), ("+49 ## ########", 3), ("0##/########", 1),
      ("+49 (0)## ########", 1)]),
    # --- Colombia
    ("CO_M", 7, [(p, 1) for p in ["300", "301", "304", "310", "311", "312", "313",
                                  "314", "315", "316", "317", "318", "320", "321", "350"]], 10,
     [("+57 ### ### ####", 6), ("### ### ####", 4), ("##########", 3),
      ("+57##########", 2), ("(+57) ### #######", 1)]),
    ("CO_L", 7, [("6012", 2), ("6014", 1), ("6044", 1), ("6023", 1)], 10,
     [("+57 ### ### ####", 3), ("(###) ### ####", 1), ("### #######", 2)]),
]
# share of landlines per country (per mille)
LANDLINE_PERMILLE = [200, 0, 250, 0, 200, 200, 200, 150]

# consent dialects: (yes, no, unsubscribed-yes, unsubscribed-no), weight
DIALECTS = [
    (("yes", "no", "yes", "no"), 20), (("Yes", "No", "Yes", "No"), 15),
    (("Y", "N", "Y", "N"), 8), (("true", "false", "true", "false"), 10),
    (("TRUE", "FALSE", "TRUE", "FALSE"), 6), (("1", "0", "1", "0"), 10),
    (("sí", "no", "sí", "no"), 6), (("si", "no", "si", "no"), 4),
    (("Sí", "No", "Sí", "No"), 4), (("SI", "NO", "SI", "NO"), 2),
    (("opted-in", "opted-out", "yes", "no"), 5), (("Opted In", "Opted Out", "Yes", "No"), 3),
    (("subscribed", "unsubscribed", "unsubscribed", "subscribed"), 5),
    (("Subscribed", "Not subscribed", "Unsubscribed", ""), 2),
    (("x", "", "x", ""), 1), (("S", "N", "S", "N"), 1),
]

FORMULA_BAIT = [  # (column, value)
    ("City", '=HYPERLINK("http://x.example/promo","click")'),
    ("First Name", "@SUM(1+1)"),
    ("Last Name", "-cmd"),
    ("City", "=1+2"),
    ("First Name", "=cmd|' /C calc'!A0"),
    ("Last Name", "+SUM(1;1)"),
    ("City", "-2+3+cmd|' /C notepad'!'A1'"),
    ("First Name", "@Maria"),
]

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

M32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B1


def _mix32_int(x: int) -> int:
    """lowbias32 integer hash (C. Wellons); Python version, used for salts."""
    x &= M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    x ^= x >> 16
    return x


class Rng:
    """Counter-based random streams: column ``name`` gets a uniform 32-bit
    integer that only depends on (seed, stream name, index value).

    Computed on UInt32 columns (polars integer arithmetic wraps, which is
    exactly the mod-2**32 arithmetic of the hash) one step at a time over all
    streams, so expression trees stay small."""

    def __init__(self, seed: int):
        self.seed_key = _mix32_int(seed * GOLDEN + 0x632BE5AB) ^ _mix32_int(seed >> 32)

    def add(self, df: pl.DataFrame, streams: dict[str, tuple[str, str]]) -> pl.DataFrame:
        """streams: {output column: (index column, stream name)}"""
        keys = {}
        for out, (_idx, name) in streams.items():
            k1 = _mix32_int(zlib.crc32(name.encode()) ^ self.seed_key)
            keys[out] = (k1, _mix32_int(k1 + 0x5BD1E995))
        df = df.with_columns(
            (pl.col(idx).cast(pl.UInt32) * GOLDEN + keys[out][0]).alias(out)
            for out, (idx, _n) in streams.items()
        )
        cols = list(streams)
        for rnd in range(2):
            for shift, mul in ((65536, 0x7FEB352D), (32768, 0x846CA68B), (65536, None)):
                df = df.with_columns(
                    (pl.col(c) ^ (pl.col(c) // shift)) * mul if mul else pl.col(c) ^ (pl.col(c) // shift)
                    for c in cols
                )
            if rnd == 0:
                df = df.with_columns(pl.col(c) ^ keys[c][1] for c in cols)
        return df


def _expand(pairs):
    out = []
    for v, w in pairs:
        out.extend([v] * w)
    return out


class Grouped:
    """A flat pool made of one weighted sub-pool per group (e.g. country);
    ``pick(group, r)`` picks uniformly (with weights) within the group."""

    def __init__(self, groups: list[list], dtype=pl.String):
        flat, offs, sizes = [], [], []
        for g in groups:
            offs.append(len(flat))
            sizes.append(len(g))
            flat.extend(g)
        self.values = pl.Series(flat, dtype=dtype)
        self.offs = pl.Series(offs, dtype=pl.UInt32)
        self.sizes = pl.Series(sizes, dtype=pl.UInt32)

    def index(self, group: pl.Expr, r: pl.Expr) -> pl.Expr:
        return pl.lit(self.offs).gather(group) + r % pl.lit(self.sizes).gather(group)

    def pick(self, group: pl.Expr, r: pl.Expr) -> pl.Expr:
        return pl.lit(self.values).gather(self.index(group, r))


def pick(values: list, r: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values)).gather(r % len(values))


def ascii_fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.replace("ß", "ss"))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return "".join(c for c in s if c.isalnum())


def strip_accents(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return unicodedata.normalize("NFC", "".join(c for c in s if not unicodedata.combining(c)))


def chain(cases, default):
    """when/then chain from [(cond, value), ...]."""
    expr = None
    for cond, val in cases:
        expr = pl.when(cond).then(val) if expr is None else expr.when(cond).then(val)
    return expr.otherwise(default)


def _zfill(x: pl.Expr, n: int) -> pl.Expr:
    return x.cast(pl.String).str.zfill(n)


def bands(r: pl.Expr, cuts: list, where: pl.Expr | None = None) -> list:
    """[(hi, expr), ...] -> disjoint [(lo <= r < hi [& where], expr), ...]."""
    out, lo = [], 0
    for hi, expr in cuts:
        m = (r < hi) if lo == 0 else ((r >= lo) & (r < hi))
        out.append((m if where is None else m & where, expr))
        lo = hi
    return out


def sparse(df: pl.DataFrame, name: str, default: pl.Expr, cases: list) -> pl.DataFrame:
    """Add column ``name``: ``expr`` on the rows where ``mask`` holds for
    each (disjoint) ``(mask, expr)`` in ``cases``, else ``default``.

    Unlike a when/then chain (which evaluates every branch on every row),
    each expression is evaluated only on its own rows, then scattered back."""
    df = df.with_columns(default.cast(pl.String).alias(name))
    base = df.lazy().with_row_index("_r")
    subs = pl.collect_all(
        [base.filter(m).select("_r", e.cast(pl.String).alias("_v")) for m, e in cases]
    )
    subs = [s for s in subs if s.height]
    if subs:
        sub = pl.concat(subs)
        col = df.get_column(name).clone()
        col.scatter(sub.get_column("_r"), sub.get_column("_v"))
        df = df.with_columns(col)
    return df


def _template_segments(tpl: str) -> list[tuple[str, int, int]]:
    """'+34 ### ###' -> [('+34 ', 0, 3), (' ', 3, 3)] plus a trailing literal."""
    segs, lit, pos, run = [], "", 0, 0
    for ch in tpl + "\0":
        if ch == "#":
            run += 1
            continue
        if run:
            segs.append((lit, pos, run))
            pos += run
            lit, run = "", 0
        if ch != "\0":
            lit += ch
    segs.append((lit, 0, 0))
    return segs


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------


class Generator:
    def __init__(self, seed: int = DEFAULT_SEED):
        self.rng = Rng(seed)
        self._build_pools()

    # -- pools -----------------------------------------------------------
    def _build_pools(self):
        lang_first = [
            ES_FIRST * 3 + ES_FIRST_COMPOUND,
            EN_FIRST * 3 + EN_FIRST_COMPOUND,
            FR_FIRST,
            DE_FIRST,
        ]
        lang_last = [ES_LAST * 4 + ES_LAST_MULTI, EN_LAST * 4 + EN_LAST_MULTI, FR_LAST, DE_LAST]
        self.first = Grouped(lang_first)
        self.first_ascii = Grouped([[ascii_fold(x) for x in g] for g in lang_first])
        self.first_noacc = Grouped([[strip_accents(x) for x in g] for g in lang_first])
        self.last = Grouped(lang_last)
        self.last_ascii = Grouped([[ascii_fold(x) for x in g] for g in lang_last])
        self.last_noacc = Grouped([[strip_accents(x) for x in g] for g in lang_last])
        self.country_of = pl.Series(_expand(zip(range(8), COUNTRY_WEIGHTS)), dtype=pl.UInt32)
        self.lang_of = pl.Series(COUNTRY_LANG, dtype=pl.UInt32)
        self.city = Grouped([_expand(CITIES[c]) for c in COUNTRIES])
        self.city_noacc = Grouped([[strip_accents(x) for x in _expand(CITIES[c])] for c in COUNTRIES])
        self.country_text = Grouped([_expand(COUNTRY_TEXT[c]) for c in COUNTRIES])
        self.domain = Grouped([_expand(EMAIL_DOMAINS[c]) for c in COUNTRIES])
        self.typo_map = {
            f"{dom}|{k}": typos[k % len(typos)] for dom, typos in TYPO_DOMAINS.items() for k in range(8)
        }
        self.landline_permille = pl.Series(LANDLINE_PERMILLE, dtype=pl.UInt32)
        # (country, landline?) -> phone kind
        kind_by_cc: dict[int, list[int]] = {}
        for k, (_name, cc, _p, _n, _t) in enumerate(PHONE_KINDS):
            kind_by_cc.setdefault(cc, []).append(k)
        lut = []
        for cc in range(len(COUNTRIES)):
            ks = kind_by_cc[cc]
            lut.extend([ks[0], ks[-1]])  # mobile, landline (same kind if none)
        self.kind_lut = pl.Series(lut, dtype=pl.UInt32)
        self.ph_prefix = Grouped([_expand(k[2]) for k in PHONE_KINDS])
        self.ph_nsn_len = pl.Series([k[3] for k in PHONE_KINDS], dtype=pl.UInt32)
        tpl_groups = []
        for _name, _cc, _p, n, tpls in PHONE_KINDS:
            for t, _w in tpls:
                assert t.count("#") == n, (t, n)
            tpl_groups.append(_expand(tpls))
        self.ph_template = Grouped(tpl_groups)
        segs = [_template_segments(t) for t in self.ph_template.values.to_list()]
        self.ph_nseg = max(len(s) for s in segs)
        segs = [s + [("", 0, 0)] * (self.ph_nseg - len(s)) for s in segs]
        self.ph_seg_lit = [pl.Series([s[k][0] for s in segs]) for k in range(self.ph_nseg)]
        self.ph_seg_off = [pl.Series([s[k][1] for s in segs], dtype=pl.UInt32) for k in range(self.ph_nseg)]
        self.ph_seg_len = [pl.Series([s[k][2] for s in segs], dtype=pl.UInt32) for k in range(self.ph_nseg)]
        dia = _expand(DIALECTS)
        self.dia_cols = [pl.Series([d[j] for d in dia]) for j in range(4)]
        self.dia_n = len(dia)

    # -- chunk -----------------------------------------------------------
    def chunk(self, start: int, n: int) -> pl.DataFrame:
        rng = self.rng
        i = pl.col("i")
        df = pl.DataFrame({"i": pl.int_range(start, start + n, dtype=pl.UInt32, eager=True)})

        # ---- row kind: 0 base, 1 duplicate of an earlier person, 2 another
        # ---- row sharing only the phone (same person, other email) --------
        def kind_of(r):
            return pl.when(i == 0).then(0).when(r < 50).then(1).when(r < 70).then(2).otherwise(0).cast(pl.UInt8)

        df = rng.add(df, {"h_kind": ("i", "rowkind"), "h_src": ("i", "rowsrc")})
        df = df.with_columns(
            kind=kind_of(pl.col("h_kind") % 1000),
            src=pl.col("h_src") % pl.max_horizontal(i, pl.lit(1, pl.UInt32)),
        )
        # kind of the source row (one more level; deeper chains are ignored)
        df = rng.add(df, {"h_skind": ("src", "rowkind"), "h_ssrc": ("src", "rowsrc")})
        src, kind = pl.col("src"), pl.col("kind")
        skind = pl.when(src == 0).then(0).otherwise(kind_of(pl.col("h_skind") % 1000))
        ssrc = pl.col("h_ssrc") % pl.max_horizontal(src, pl.lit(1, pl.UInt32))
        root = pl.when(skind == 0).then(src).otherwise(ssrc)
        df = df.with_columns(
            pn=pl.when(kind == 0).then(i).otherwise(root),  # person (name, phone, city)
            pe=(pl.when(kind == 1).then(pl.when(skind == 2).then(src).otherwise(root))
                .otherwise(i)),                              # email identity
        )
        pn, pe = pl.col("pn"), pl.col("pe")

        # ---- random streams --------------------------------------------------
        df = rng.add(df, {
            # person level
            "hp_country": ("pn", "country"), "hp_name": ("pn", "name"), "hp_name2": ("pn", "name2"),
            "hp_phone": ("pn", "phone"), "hp_phone2": ("pn", "phone2"), "hp_city": ("pn", "city"),
            "hp_email": ("pe", "email"), "hp_email2": ("pe", "email2"),
            # row level
            "hr_name": ("i", "r_name"), "hr_email": ("i", "r_email"), "hr_email2": ("i", "r_email2"),
            "hr_phone": ("i", "r_phone"), "hr_phone2": ("i", "r_phone2"),
            "hr_cons": ("i", "r_consent"), "hr_cons2": ("i", "r_consent2"),
            "hr_date": ("i", "r_date"), "hr_date2": ("i", "r_date2"), "hr_misc": ("i", "r_misc"),
        })
        df = df.with_columns(cc=pl.lit(self.country_of).gather(pl.col("hp_country") % len(self.country_of)))
        cc = pl.col("cc")
        hn, hn2 = pl.col("hp_name"), pl.col("hp_name2")
        df = df.with_columns(
            # ~4 % of the Spanish contacts have English names
            lang=pl.when((cc == 0) & (hn2 % 100 < 4)).then(pl.lit(1, pl.UInt32))
            .otherwise(pl.lit(self.lang_of).gather(cc)),
        )
        lang = pl.col("lang")
        fi = self.first.index(lang, hn)
        li = self.last.index(lang, hn // 7919)
        l2i = self.last.index(lang, hn2 // 101)
        has_l2 = (lang == 0) & ((hn2 // 1000) % 100 < 65)
        df = df.with_columns(fi=fi, li=li, l2i=pl.when(has_l2).then(l2i))
        fi, li, l2i = pl.col("fi"), pl.col("li"), pl.col("l2i")
        g = lambda pool, ix: pl.lit(pool.values).gather(ix)  # noqa: E731
        df = df.with_columns(
            first=g(self.first, fi),
            first_a=g(self.first_ascii, fi),
            last_a=g(self.last_ascii, li),
            last2_a=g(self.last_ascii, l2i).fill_null(""),
            full_last=pl.concat_str(g(self.last, li), g(self.last, l2i), separator=" ", ignore_nulls=True),
        )

        # ---- names (row-level presentation) -----------------------------
        rn, rm = pl.col("hr_name"), pl.col("hr_misc")
        r_first = rn % 10000
        r_last = (rn // 10000) % 10000
        fullname_in_first = (rm // 1000) % 200 == 7  # 0.5 %

        def present(c, noacc, r):
            return bands(r, [
                (150, pl.lit(None, pl.String)),
                (550, noacc),                       # accents dropped
                (800, c.str.to_uppercase()),
                (1000, c.str.to_lowercase()),
                (1120, pl.concat_str(c, pl.lit(" "))),
                (1200, pl.concat_str(pl.lit(" "), c)),
                (1230, pl.concat_str(c, pl.lit("  "))),
            ], where=~fullname_in_first)

        first, full_last = pl.col("first"), pl.col("full_last")
        df = sparse(df, "First Name", first, [
            (fullname_in_first, pl.concat_str(first, pl.lit(" "), full_last)),
            *present(first, g(self.first_noacc, fi), r_first),
        ])
        full_last_noacc = pl.concat_str(g(self.last_noacc, li), g(self.last_noacc, l2i),
                                        separator=" ", ignore_nulls=True)
        df = sparse(df, "Last Name", full_last, [
            (fullname_in_first, pl.lit(None, pl.String)),
            *present(full_last, full_last_noacc, r_last),
        ])

        # ---- canonical email (person level) ----------------------------
        he, he2 = pl.col("hp_email"), pl.col("hp_email2")
        fa, la, l2a = pl.col("first_a"), pl.col("last_a"), pl.col("last2_a")
        f1 = fa.str.slice(0, 1)
        # People further into a big file signed up "later": the plain
        # first.last style addresses were taken, so they get longer numbers.
        # This keeps accidental collisions between different people low at
        # 10M rows; the first million rows (and the sample) are unaffected.
        df = df.with_columns(scale=(1 + pe // 1_000_000).cast(pl.UInt32))
        scale = pl.col("scale")
        nn = _zfill(he2 % (100 * scale), 2)
        nnn = (he2 % (999 * scale) + 1).cast(pl.String)
        year = (1955 + he2 % 52).cast(pl.String)
        yy = _zfill((55 + he2 % 52) % 100, 2)
        nnnn = (he2 % (9999 * scale) + 1).cast(pl.String)
        pat = he % 100
        low_entropy = (pat < 5) | ((pat >= 44) & (pat < 47)) | ((pat >= 64) & (pat < 77))
        pat = pl.when((scale > 1) & low_entropy).then(pl.lit(50, pl.UInt32)).otherwise(pat)
        l2_or_nnn = pl.when(l2a == "").then(nnn).otherwise(l2a)
        # local-part patterns; most carry digits or the 2nd surname so that
        # different people rarely end up with the same address in big files
        df = sparse(df, "local", pl.lit(None, pl.String), bands(pat, [
            (3, pl.concat_str(fa, pl.lit("."), la)),
            (4, pl.concat_str(fa, la)),
            (5, pl.concat_str(fa, pl.lit("_"), la)),
            (22, pl.concat_str(fa, pl.lit("."), la, pl.lit("."), l2_or_nnn)),
            (28, pl.concat_str(fa, la, l2_or_nnn)),
            (34, pl.concat_str(f1, la, l2_or_nnn)),
            (44, pl.concat_str(fa, pl.lit("."), la, nn)),
            (47, pl.concat_str(fa, la.str.slice(0, 1), year)),
            (55, pl.concat_str(fa, la, nnn)),
            (58, pl.concat_str(la, pl.lit("."), fa, nn)),
            (60, pl.concat_str(fa, pl.lit("-"), la, nn)),
            (64, pl.concat_str(f1, pl.lit("."), la, nnn)),
            (71, pl.concat_str(fa, pl.lit("."), la, year)),
            (77, pl.concat_str(fa, la, yy)),
            (82, pl.concat_str(f1, la, nnnn)),
            (86, pl.concat_str(fa, l2_or_nnn.str.slice(0, 1), la, nn)),
            (90, pl.concat_str(la, fa.str.slice(0, 3), nnn)),
            (93, pl.concat_str(fa, pl.lit("_"), la, pl.lit("_"), nnn)),
            (100, pl.concat_str(fa, nnnn)),
        ]))
        dom = self.domain.pick(cc, he2 // 1000)
        company = pick(COMPANY_DOMAINS, he2 // 7)
        # rows sharing a phone with another row (and copies of them) carry a
        # second address of the same person, often a work one
        dom = (pl.when((pe != pn) & ((he // 100) % 2 == 0)).then(company)
               .when(dom == "COMPANY").then(company).otherwise(dom))
        df = df.with_columns(dom=dom)
        local, dom = pl.col("local"), pl.col("dom")
        df = df.with_columns(email=pl.concat_str(local, pl.lit("@"), dom))
        email = pl.col("email")

        # ---- email presentation (row level) -----------------------------
        re_ = pl.col("hr_email") % 10000
        re2 = pl.col("hr_email2")
        rd = re_ % 100
        is_dup = kind == 1
        is_gmail = dom == "gmail.com"
        tag = pick(PLUS_TAGS, re2 // 13)
        ws_left = pick([" ", "  ", "\t", NBSP, " ", ""], re2 // 17)
        ws_right = pick([" ", "  ", "", NBSP, " ", "\t"], re2 // 19)
        # gmail dot variants: a dot after the 1st char, or all dots dropped
        second = local.str.slice(1, 1)
        gdot_local = pl.when(second.is_in([".", "_", "-"]) | (local.str.len_chars() < 3)).then(
            local.str.replace_all(".", "", literal=True)
        ).otherwise(pl.concat_str(local.str.slice(0, 1), pl.lit("."), local.str.slice(1)))
        gdot = pl.concat_str(gdot_local, pl.lit("@"), dom)
        plus = pl.concat_str(local, pl.lit("+"), tag, pl.lit("@"), dom)
        typo_dom = (
            pl.concat_str(dom, pl.lit("|"), ((re2 // 23) % 8).cast(pl.String))
            .replace_strict(self.typo_map, default=None, return_dtype=pl.String)
            .fill_null(pick(TYPO_FALLBACK, re2 // 29))
        )
        inv_k = (re2 // 31) % 8
        invalid = chain([
            (inv_k == 0, pl.concat_str(local, dom)),                                   # missing @
            (inv_k == 1, pl.concat_str(local, pl.lit("@@"), dom)),                     # double @
            (inv_k == 2, pl.concat_str(fa, pl.lit(" "), la, pl.lit("@"), dom)),        # space inside
            (inv_k == 3, pl.concat_str(email, pl.lit("."))),                           # trailing dot
            (inv_k == 4, pl.concat_str(fa, pl.lit(".."), la, pl.lit("@"), dom)),       # ..
            (inv_k == 5, pl.concat_str(local, pl.lit("@"), dom.str.replace(r"\.[^.]+$", ""))),  # no TLD
            (inv_k == 6, pl.concat_str(local, pl.lit("@"), dom.str.replace(".", ",", literal=True))),
        ], pl.concat_str(local, pl.lit(" at "), dom))
        role = pl.concat_str(pick(_expand(ROLE_LOCALS), re2 // 37), pl.lit("@"),
                             pl.when(re2 % 5 == 0).then(dom).otherwise(pick(COMPANY_DOMAINS, re2 // 41)))
        disposable = pl.concat_str(local, pl.lit("@"), pick(_expand(DISPOSABLE), re2 // 43))
        idn = pl.concat_str(
            first.str.to_lowercase().str.replace_all(" ", ".", literal=True),
            pl.when(re2 % 2 == 0).then(
                pl.concat_str(pl.lit("."), g(self.last, li).str.to_lowercase().str.replace_all(r"[ ']", ""))
            ).otherwise(pl.lit("")),
            pl.lit("@"), pick(IDN_DOMAINS, re2 // 47))
        mailto = pl.concat_str(pick(["mailto:", "mailto:", "MAILTO:", "Mailto:"], re2 // 53), email)
        base_cases = bands(re_, [
            (300, pick([None, None, None, " ", "-", "n/a"], re2)),      # blank-ish
            (600, invalid),
            (850, pl.concat_str(local, pl.lit("@"), typo_dom)),
            (950, role),
            (1050, disposable),
            (1100, idn),
            (1160, mailto),
            (1450, plus),
            (1650, email.str.to_uppercase()),
            (2050, email.str.to_titlecase()),
            (2350, pl.concat_str(ws_left, email, ws_right)),
        ], where=~is_dup)
        base_cases.append(((re_ >= 2350) & (re_ < 2450) & is_gmail & ~is_dup, gdot))
        # duplicates of an earlier person: same address, presented differently
        dup_cases = bands(rd, [
            (22, email),
            (32, email.str.to_uppercase()),
            (42, email.str.to_titlecase()),
            (54, pl.concat_str(ws_left, email, ws_right)),
            (64, pl.when(is_gmail).then(gdot).otherwise(email.str.to_titlecase())),
            (74, plus),
            (84, pl.when(is_gmail).then(pl.concat_str(local, pl.lit("@googlemail.com")))
             .otherwise(pl.concat_str(local, pl.lit("@"), dom.str.to_uppercase()))),
            (89, mailto),
            (94, pl.concat_str(pl.lit(" "), email.str.to_titlecase(), pl.lit(" "))),
            (100, pl.when(is_gmail).then(pl.concat_str(gdot_local.str.to_uppercase(), pl.lit("@gmail.com")))
             .otherwise(email)),
        ], where=is_dup)[1:]
        df = sparse(df, "Email Address", email, base_cases + dup_cases)

        # ---- phone -------------------------------------------------------
        hph, hph2 = pl.col("hp_phone"), pl.col("hp_phone2")
        landline = (hph % 1000) < pl.lit(self.landline_permille).gather(cc)
        df = df.with_columns(pk=pl.lit(self.kind_lut).gather(cc * 2 + landline.cast(pl.UInt32)))
        pk = pl.col("pk")
        rand_digits = pl.concat_str(_zfill(hph // 1000 % 100000, 5), _zfill(hph2 % 1000000, 6))
        df = df.with_columns(
            nsn=pl.concat_str(self.ph_prefix.pick(pk, hph2 // 1_000_000), rand_digits)
            .str.head(pl.lit(self.ph_nsn_len).gather(pk)),
            tpl=self.ph_template.index(pk, pl.col("hr_phone") // 10000),
        )
        nsn, tpl = pl.col("nsn"), pl.col("tpl")
        parts = []
        for k in range(self.ph_nseg):
            parts.append(pl.lit(self.ph_seg_lit[k]).gather(tpl))
            parts.append(nsn.str.slice(pl.lit(self.ph_seg_off[k]).gather(tpl),
                                       pl.lit(self.ph_seg_len[k]).gather(tpl)))
        df = df.with_columns(phone=pl.concat_str(parts))
        phone = pl.col("phone")
        rp, rp2 = pl.col("hr_phone"), pl.col("hr_phone2")
        rpp = rp % 10000
        second_land = pl.concat_str(pl.lit("91 "), _zfill(rp2 % 1000, 3), pl.lit(" "),
                                    _zfill((rp2 // 1000) % 100, 2), pl.lit(" "),
                                    _zfill((rp2 // 100000) % 100, 2))
        fictional = pick(["+44 7700 900", "07700 900", "(555) 123-4", "+1 212-555-01", "555-01"], rp2 // 7)
        df = sparse(df, "Phone Number", phone, bands(rpp, [
            (650, pl.lit(None, pl.String)),
            (800, pick(_expand(PHONE_GARBAGE), rp2)),
            (850, pl.concat_str(fictional, nsn.str.slice(-3))),
            (880, pl.concat_str(phone, pl.lit(" / "), second_land)),  # two numbers in one cell
            (910, pl.concat_str(pick(["Móvil: ", "Tel. ", "tel: ", "Cell: ", "M "], rp2 // 11), phone)),
            (1010, pl.concat_str(pick([" ", "", "  "], rp2 // 13), phone, pick([" ", "  ", "\t"], rp2 // 17))),
            (1040, pl.concat_str(nsn, pl.lit(".0"))),   # number stored as float
            (1080, pl.concat_str(pl.lit("'"), phone)),  # Excel text marker
            (1100, phone.str.slice(0, phone.str.len_chars() - 2)),  # truncated
        ]))

        # ---- country ------------------------------------------------------
        df = df.with_columns(
            Country=pl.when(rm % 100 < 6).then(pl.lit(None, pl.String))
            .otherwise(self.country_text.pick(cc, rm // 100)),
        )

        # ---- city (person level, row presentation) -------------------------
        df = df.with_columns(ci=self.city.index(cc, pl.col("hp_city")))
        ci = pl.col("ci")
        city = g(self.city, ci)
        rc = (rm // 200000) % 1000
        df = sparse(df, "City", city, bands(rc, [
            (60, pl.lit(None, pl.String)),
            (90, g(self.city_noacc, ci)),
            (120, city.str.to_lowercase()),
            (140, city.str.to_uppercase()),
            (160, pl.concat_str(city, pl.lit(" "))),
            (170, pl.concat_str(city, pl.lit(", "), self.country_text.pick(cc, rm // 37))),
        ]))

        # ---- dates -----------------------------------------------------------
        ref = pl.lit(REFERENCE_DATE)
        rdt, rdt2 = pl.col("hr_date"), pl.col("hr_date2")
        bucket = rdt % 100
        df = df.with_columns(days_ago=chain([
            (bucket < 60, (rdt // 100) % 731),             # last 2 years
            (bucket < 80, 731 + (rdt // 100) % 1000),      # 2-5 years
        ], 1950 + (rdt // 100) % 2370).cast(pl.Int32))    # stale: 2015-2021
        days_ago = pl.col("days_ago")
        # created 0..~6.5 years before the activity, never before 2011-06-01
        span = (REFERENCE_DATE - date(2011, 6, 1)).days - days_ago
        created_back = rdt2 % pl.min_horizontal(span, pl.lit(2400)).cast(pl.UInt32)
        df = df.with_columns(act=ref - pl.duration(days=days_ago))
        act = pl.col("act")
        df = df.with_columns(created=act - pl.duration(days=created_back.cast(pl.Int32)),
                             act_s=act.dt.strftime("%Y-%m-%d"))
        created, act_s = pl.col("created"), pl.col("act_s")
        hhmmss = pl.concat_str(_zfill(7 + (rdt2 // 2400) % 15, 2), pl.lit(":"),
                               _zfill((rdt2 // 36000) % 60, 2), pl.lit(":"),
                               _zfill((rdt2 // 2160000) % 60, 2))
        df = df.with_columns(**{
            "Last Activity Date": chain([
                (bucket >= 95, pl.lit(None, pl.String)),   # blanks (taken from the stale bucket)
                ((rdt2 % 100) < 22, pl.concat_str(act_s, pl.lit(" "), hhmmss)),
            ], act_s),
            "Created Date": pl.when(rdt2 % 1000 < 25).then(pl.lit(None, pl.String))
            .otherwise(created.dt.strftime("%d/%m/%Y")),
        })

        # ---- consent / unsubscribe -----------------------------------------
        rcn, rcn2 = pl.col("hr_cons"), pl.col("hr_cons2")
        df = df.with_columns(
            d1=rcn % self.dia_n,
            # the SMS column mostly follows the same source-system dialect
            d2=pl.when(rcn2 % 100 < 70).then(rcn % self.dia_n).otherwise((rcn2 // 100) % self.dia_n),
            ru=(rcn2 // 1000) % 1000,
        )
        d1, d2, ru = pl.col("d1"), pl.col("d2"), pl.col("ru")
        # a duplicated person is more often unsubscribed in one of the copies
        uy = pl.when(is_dup).then(ru < 150).otherwise(ru < 70)
        df = df.with_columns(uy=uy)
        uy = pl.col("uy")
        yes = lambda ix: pl.lit(self.dia_cols[0]).gather(ix)  # noqa: E731
        no = lambda ix: pl.lit(self.dia_cols[1]).gather(ix)  # noqa: E731
        re_c = (rcn // 100) % 1000
        rs_c = (rcn // 100000) % 1000
        # consent given on a date: ISO or dd/mm/yyyy
        consent_day = pl.min_horizontal(created + pl.duration(days=((rcn2 // 10000) % 30).cast(pl.Int32)), act)
        df = sparse(df, "cdate", pl.lit(None, pl.String), [(
                    (re_c >= 110) & (re_c < 190) | (rs_c >= 180) & (rs_c < 220),
                    pl.when((rcn2 // 300000) % 2 == 0).then(consent_day.dt.strftime("%Y-%m-%d"))
                    .otherwise(consent_day.dt.strftime("%d/%m/%Y")))])
        cdate = pl.col("cdate")
        df = df.with_columns(**{
            "Email Marketing Consent": chain([
                (re_c < 110, pl.lit(None, pl.String)),
                (re_c < 190, cdate),
                (uy & (re_c < 700), no(d1)),
                (re_c < 640, yes(d1)),
            ], no(d1)),
            "SMS Consent": chain([
                (rs_c < 180, pl.lit(None, pl.String)),
                (rs_c < 220, cdate),
                (rs_c < 500, yes(d2)),
            ], no(d2)),
            "Unsubscribed": chain([
                (uy & (ru % 5 == 0), pl.when((ru // 5) % 2 == 0).then(act_s)
                 .otherwise(act.dt.strftime("%d/%m/%Y"))),
                (uy, pl.lit(self.dia_cols[2]).gather(d1)),
                (ru < 650, pl.lit(None, pl.String)),
            ], pl.lit(self.dia_cols[3]).gather(d1)),
        })

        # ---- customer id -------------------------------------------------------
        df = df.with_columns(**{
            "Customer ID": (10_000_000 + i.cast(pl.UInt64) * 3 + rm % 3).cast(pl.String),
        })

        # ---- formula-injection bait ------------------------------------------
        bait = pl.any_horizontal((rm // 1000) % 700 == 0, *[i == k for k in FORCED_BAIT_ROWS])
        # the forced rows get each kind of bait once, the others a random one
        bk = chain([(i == row, pl.lit(j % len(FORMULA_BAIT), pl.UInt32))
                    for j, row in enumerate(FORCED_BAIT_ROWS)], (rm // 700000) % len(FORMULA_BAIT))
        for col in ("First Name", "Last Name", "City"):
            opts = [(k, v) for k, (c, v) in enumerate(FORMULA_BAIT) if c == col]
            df = df.with_columns(chain([(bait & (bk == k), pl.lit(v)) for k, v in opts], pl.col(col)).alias(col))

        # empty cells are written as nothing at all (not as "")
        return df.select(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in HEADER)


def write(rows: int, out, seed: int = DEFAULT_SEED, chunk_size: int = DEFAULT_CHUNK,
          bom: bool = False) -> None:
    gen = Generator(seed)
    if bom:
        out.write("\ufeff".encode())
    if rows <= 0:
        out.write((",".join(HEADER) + "\n").encode())
        return
    for start in range(0, rows, chunk_size):
        n = min(chunk_size, rows - start)
        gen.chunk(start, n).write_csv(out, include_header=(start == 0), null_value="")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=3000, help="number of data rows (default 3000)")
    ap.add_argument("-o", "--output", default="-", help="output CSV path, '-' for stdout (default)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK,
                    help=f"rows generated per chunk (default {DEFAULT_CHUNK}); does not change the output")
    ap.add_argument("--bom", action="store_true", help="start the file with a UTF-8 BOM (Excel style)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no timing message on stderr")
    args = ap.parse_args(argv)
    if args.rows < 0 or args.chunk_size <= 0:
        ap.error("--rows must be >= 0 and --chunk-size > 0")
    if args.rows >= 2**32 - 1:
        ap.error("--rows must be < 2**32")
    t0 = time.perf_counter()
    if args.output == "-":
        write(args.rows, sys.stdout.buffer, args.seed, args.chunk_size, args.bom)
        sys.stdout.buffer.flush()
    else:
        with open(args.output, "wb") as fh:
            write(args.rows, fh, args.seed, args.chunk_size, args.bom)
    if not args.quiet and args.output != "-":
        print(f"wrote {args.rows:,} rows to {args.output} in {time.perf_counter() - t0:.2f}s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
